"""Choose and build the store from settings: MongoDB when LRS_MONGO_URI is set, SQLite otherwise."""

from __future__ import annotations

from lrs.errors import ConfigurationError
from lrs.settings import Settings
from lrs.storage.port import Store


def build_store(settings: Settings) -> Store:
    if settings.mongo_uri:
        from lrs.storage.mongo import MongoStore

        return MongoStore.from_uri(
            str(settings.mongo_uri),
            settings.mongo_database,
            max_time_ms=settings.mongo_max_time_ms,
            allow_standalone=settings.mongo_allow_standalone,
        )
    from lrs.storage.sqlite import SQLiteStore

    try:
        return SQLiteStore(settings.sqlite_path)
    except OSError as exc:
        raise ConfigurationError(
            f"LRS_DATA_DIR {str(settings.data_dir)!r} is not a usable directory: {exc.strerror}"
        ) from exc
