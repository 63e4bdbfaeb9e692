import os
import tempfile

from demo.settings import *  # noqa: F403

ROOT_URLCONF = "testsite.urls"
# WASMLIVE_DEBUG=0: a server running as in production.
DEBUG = os.environ.get("WASMLIVE_DEBUG", "1") == "1"
# The database-backed views the tests use (tests/python/notes/).
INSTALLED_APPS = [*INSTALLED_APPS, "notes"]  # noqa: F405
# pytest-django's test database is a file: sqlite's in-memory databases are
# never closed, and the tests watch connections close.
DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"wasmlive-test-{os.getpid()}.sqlite3")}  # noqa: F405
# WASMLIVE_UNTHROTTLED=1: no per-connection frame rate (the fuzz test sends thousands of frames).
if os.environ.get("WASMLIVE_UNTHROTTLED") == "1":
    LIVEVIEW_CONFIG = {**LIVEVIEW_CONFIG, "max_frames_per_second": None}  # noqa: F405
