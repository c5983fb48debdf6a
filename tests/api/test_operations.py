from tests.factories import headers_for


async def test_health_needs_no_login(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_database_and_redis(client):
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_ready_is_503_when_redis_is_unreachable(monkeypatch):
    import httpx

    from recall.settings import get_settings
    from tests.harness import running
    from web.app import create_app

    broken = get_settings().__class__(
        **{**get_settings().__dict__, "redis_url": "redis://127.0.0.1:1/0"}
    )
    app = create_app(broken)
    async with (
        running(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["redis"].startswith("error")


async def test_metrics_are_prometheus_text(client):
    await client.get("/health")
    response = await client.get("/metrics", headers=await headers_for("admin"))
    assert response.status_code == 200
    assert "recall_requests_total" in response.text


async def test_openapi_schema_is_served(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/auth/login" in paths and "/api/audit/verify" in paths


async def test_body_over_one_mebibyte_is_413(client):
    headers = await headers_for("admin")
    big = '{"username": "' + "a" * (1024 * 1024 + 10) + '"}'
    response = await client.post(
        "/api/users", content=big, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["status_code"] == 413


async def test_malformed_json_is_400(client):
    headers = await headers_for("admin")
    response = await client.post(
        "/api/users", content="{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 400


async def test_unknown_path_is_json_404(client):
    response = await client.get("/api/nothing-here", headers=await headers_for("qa"))
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


async def test_the_schema_documents_every_error_a_route_can_answer(client):
    schema = (await client.get("/schema/openapi.json")).json()
    login = schema["paths"]["/api/auth/login"]["post"]
    assert login["security"] == []
    assert {"401", "422", "429", "503"} <= set(login["responses"])
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if not path.startswith("/api/") or path == "/api/auth/login":
                continue
            assert {"401", "403", "503"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in {"post", "put", "patch", "delete"}:
                assert {"400", "409", "422"} <= codes, (method, path)
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["status_code", "detail"]
    metrics = schema["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]
