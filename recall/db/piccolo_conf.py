"""Piccolo configuration: the engine comes from RECALL_DATABASE_URL."""

from piccolo.conf.apps import AppRegistry

from recall.db._engine import build_engine
from recall.settings import get_settings

DB = build_engine(get_settings())

APP_REGISTRY = AppRegistry(apps=["recall.db.piccolo_app"])
