"""notice_tally kept by triggers: every change to a notice or a notice line adds its change.

A recall's dashboard read three passes over its notices (level and market, tier, units of
its lines): 43,501 notices took 40-100 ms a read, more while a fan-out wrote. The triggers
add, in the writing transaction, what each statement changed, whatever code path wrote it:
per recall, tier, level (tier 1 or a PBF consignee: wholesale), the consignee's country,
market and scope amendment, how many notices there are, notified, acknowledged and
responded, the latest notified and responded times; per recall and tier the units of its
lines. Only null-ness of the times is tracked (they are set once, from null). A consignee
whose kind or country changes moves its notices between groups (a group keeps the latest
time it saw).

PostgreSQL: statement triggers over the transition tables, one row per group a statement
changed, and no lock on a shared counter row, so deliveries of one recall running at once
never wait on each other. SQLite (writes one at a time): row triggers, minus the row as it
was and plus as it is. Both are filled from the notices and lines already there.
"""

from collections.abc import Callable

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-06T11:29:27:000000"
VERSION = "1.38.0"
DESCRIPTION = "notice_tally triggers"

COUNTS = (
    "recall, tier, wholesale, country, market, amendment, notices, notified, acknowledged, "
    "responded, last_notified_at, last_responded_at, distributed, on_hand, returned"
)
UNITS = "recall, tier, distributed, on_hand, returned"

Sql = Callable[[str], str]  # the INSERT that adds up a SELECT of changes
Part = Callable[[str, str], str]  # a row's contribution: (sign, alias) -> select list
Changed = Callable[[str, str], str]  # whether a row changed: (new alias, old alias) -> test


def _notice_changed(new: str, old: str) -> str:
    """Whether a notice moved between groups or changed a counted state."""

    def state(n: str) -> str:
        return (
            f"({n}.recall, {n}.consignee, {n}.tier, {n}.market, {n}.amendment, "
            f"{n}.notified_at IS NULL, {n}.acknowledged_at IS NULL, {n}.responded_at IS NULL)"
        )

    return f"{state(new)} IS DISTINCT FROM {state(old)}"


def _line_changed(new: str, old: str) -> str:
    def state(n: str) -> str:
        return (
            f"({n}.recall, {n}.tier, {n}.quantity_distributed, {n}.quantity_on_hand, "
            f"{n}.quantity_returned)"
        )

    return f"{state(new)} IS DISTINCT FROM {state(old)}"


def _notices(sign: str, n: str) -> str:
    """One notice's contribution, counted with `sign` ('' or '-'); times only when added."""
    times = (
        f"{n}.notified_at AS notified_at, {n}.responded_at AS responded_at"
        if not sign
        else "NULL::timestamptz AS notified_at, NULL::timestamptz AS responded_at"
    )
    return (
        f"{n}.recall AS recall, {n}.consignee AS consignee, {n}.tier AS tier, "
        f"{n}.market AS market, {n}.amendment AS amendment, {sign}1 AS notices, "
        f"{sign}({n}.notified_at IS NOT NULL)::int AS notified, "
        f"{sign}({n}.acknowledged_at IS NOT NULL)::int AS acknowledged, "
        f"{sign}({n}.responded_at IS NOT NULL)::int AS responded, {times}"
    )


def _lines(sign: str, n: str) -> str:
    return (
        f"{n}.recall AS recall, {n}.tier AS tier, "
        f"{sign}{n}.quantity_distributed AS distributed, "
        f"{sign}COALESCE({n}.quantity_on_hand, 0) AS on_hand, "
        f"{sign}{n}.quantity_returned AS returned"
    )


# The consignees of changed notices are looked up one by one: a hash join reads every
# consignee (435,010 in the 10x benchmark) for a delivery's 200 notices or an opening chunk
# of 5,000, and stale statistics choose one. Only a statement of more than FEW notices
# joins by hash, where one lookup per row would cost more than reading them all.
FEW = 10_000
LOOKED_UP = (
    "CROSS JOIN LATERAL (SELECT kind, country FROM consignee WHERE id = t.consignee OFFSET 0) c"
)
JOINED = "JOIN consignee c ON c.id = t.consignee"


def _add_notices(changes: str, consignee: str = JOINED) -> str:
    return (
        f"INSERT INTO notice_tally ({COUNTS}) "
        "SELECT t.recall, t.tier, t.tier = 1 OR c.kind = 'pbf', c.country, t.market, "
        "t.amendment, SUM(t.notices), SUM(t.notified), SUM(t.acknowledged), SUM(t.responded), "
        "MAX(t.notified_at), MAX(t.responded_at), 0, 0, 0 "
        f"FROM ({changes}) AS t {consignee} "
        "GROUP BY t.recall, t.tier, t.tier = 1 OR c.kind = 'pbf', c.country, t.market, "
        "t.amendment "
        "HAVING SUM(t.notices) <> 0 OR SUM(t.notified) <> 0 OR SUM(t.acknowledged) <> 0 "
        "OR SUM(t.responded) <> 0"
    )


def _add_lines(changes: str) -> str:
    return (
        f"INSERT INTO notice_tally ({UNITS}) "
        "SELECT t.recall, t.tier, SUM(t.distributed), SUM(t.on_hand), SUM(t.returned) "
        f"FROM ({changes}) AS t GROUP BY t.recall, t.tier "
        "HAVING SUM(t.distributed) <> 0 OR SUM(t.on_hand) <> 0 OR SUM(t.returned) <> 0"
    )


def _postgres_function(
    name: str, add: Sql, part: Part, changed: Changed, add_few: Sql | None = None
) -> str:
    """A statement trigger's function: the change of the rows a statement wrote, added up
    (by `add_few` when it wrote at most FEW rows)."""
    pairs = f"FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed('n', 'o')}"
    inserted = f"SELECT {part('', 'n')} FROM new_rows n"
    updated = f"SELECT {part('', 'n')} {pairs} UNION ALL SELECT {part('-', 'o')} {pairs}"
    deleted = f"SELECT {part('-', 'o')} FROM old_rows o"

    def by_size(changes: str, rows: str) -> str:
        if add_few is None:
            return add(changes)
        return (
            f"IF (SELECT COUNT(*) FROM {rows}) <= {FEW} THEN {add_few(changes)}; "
            f"ELSE {add(changes)}; END IF"
        )

    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {by_size(inserted, "new_rows")};
        ELSIF TG_OP = 'UPDATE' THEN
            {by_size(updated, "new_rows")};
        ELSE
            {by_size(deleted, "old_rows")};
        END IF;
        RETURN NULL;
    END
    $$
    """


def _postgres_triggers(table: str, function: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_tally_inserted AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_tally_updated AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_tally_deleted AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def _sqlite(sql: str) -> str:
    # SQLite's row triggers see NEW and OLD; booleans and casts are its own.
    return sql.replace("::int", "").replace("::timestamptz", "")


def _sqlite_triggers(table: str, add: Sql, part: Part, changed: Changed) -> list[str]:
    """Row triggers: minus the row as it was, plus as it is."""
    plus = _sqlite(add(f"SELECT {part('', 'NEW')}"))
    minus = _sqlite(add(f"SELECT {part('-', 'OLD')}"))
    when = changed("NEW", "OLD")
    return [
        f"CREATE TRIGGER {table}_tally_inserted AFTER INSERT ON {table} BEGIN {plus}; END",
        f"CREATE TRIGGER {table}_tally_updated AFTER UPDATE ON {table} WHEN {when} "
        f"BEGIN {minus}; {plus}; END",
        f"CREATE TRIGGER {table}_tally_deleted AFTER DELETE ON {table} BEGIN {minus}; END",
    ]


def _moved(sign: str, c: str, source: str) -> str:
    """A consignee's notices counted under its kind and country `c` (as it was: sign '-';
    as it is: ''), when either changed; times only where they arrive."""
    times = "MAX(n.notified_at), MAX(n.responded_at)" if not sign else "NULL, NULL"
    level = f"n.tier = 1 OR {c}.kind = 'pbf'"
    return (
        f"INSERT INTO notice_tally ({COUNTS}) "
        f"SELECT n.recall, n.tier, {level}, {c}.country, n.market, n.amendment, "
        f"{sign}COUNT(*), {sign}COUNT(n.notified_at), {sign}COUNT(n.acknowledged_at), "
        f"{sign}COUNT(n.responded_at), {times}, 0, 0, 0 {source} "
        f"GROUP BY n.recall, n.tier, {level}, {c}.country, n.market, n.amendment"
    )


def _postgres_consignees() -> list[str]:
    pairs = "FROM new_rows nw JOIN old_rows o ON o.id = nw.id JOIN notice n ON n.consignee = nw.id"
    changed = "WHERE (nw.kind, nw.country) IS DISTINCT FROM (o.kind, o.country)"
    return [
        f"""
        CREATE OR REPLACE FUNCTION notice_tally_consignees() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {_moved("-", "o", f"{pairs} {changed}")};
            {_moved("", "nw", f"{pairs} {changed}")};
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER consignee_tally_updated AFTER UPDATE ON consignee "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION notice_tally_consignees()",
    ]


def _sqlite_consignees() -> list[str]:
    source = "FROM notice n WHERE n.consignee = NEW.id"
    return [
        "CREATE TRIGGER consignee_tally_updated AFTER UPDATE OF kind, country ON consignee "
        "WHEN (NEW.kind, NEW.country) IS DISTINCT FROM (OLD.kind, OLD.country) "
        f"BEGIN {_moved('-', 'OLD', source)}; {_moved('', 'NEW', source)}; END"
    ]


BACKFILL = [
    f"INSERT INTO notice_tally ({COUNTS}) "
    "SELECT n.recall, n.tier, n.tier = 1 OR c.kind = 'pbf', c.country, n.market, n.amendment, "
    "COUNT(*), COUNT(n.notified_at), COUNT(n.acknowledged_at), COUNT(n.responded_at), "
    "MAX(n.notified_at), MAX(n.responded_at), 0, 0, 0 "
    "FROM notice n JOIN consignee c ON c.id = n.consignee "
    "GROUP BY n.recall, n.tier, n.tier = 1 OR c.kind = 'pbf', c.country, n.market, n.amendment",
    f"INSERT INTO notice_tally ({UNITS}) "
    "SELECT recall, tier, SUM(quantity_distributed), SUM(COALESCE(quantity_on_hand, 0)), "
    "SUM(quantity_returned) FROM notice_line GROUP BY recall, tier",
]


def statements(postgres: bool) -> list[str]:
    if postgres:
        return [
            _postgres_function(
                "notice_tally_notices", _add_notices, _notices, _notice_changed,
                lambda changes: _add_notices(changes, LOOKED_UP),
            ),
            _postgres_function("notice_tally_lines", _add_lines, _lines, _line_changed),
            *_postgres_triggers("notice", "notice_tally_notices"),
            *_postgres_triggers("notice_line", "notice_tally_lines"),
            *_postgres_consignees(),
            *BACKFILL,
        ]
    return [
        *_sqlite_triggers("notice", _add_notices, _notices, _notice_changed),
        *_sqlite_triggers("notice_line", _add_lines, _lines, _line_changed),
        *_sqlite_consignees(),
        *BACKFILL,
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in statements(isinstance(engine, PostgresEngine)):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
