import pytest

from server.db.engine import Database


@pytest.fixture
async def db(settings):
    """A connection pool of the test's own (the app's pool lives on the test client's event loop)."""
    database = Database(settings.database_url)
    await database.start()
    yield database
    await database.close()
