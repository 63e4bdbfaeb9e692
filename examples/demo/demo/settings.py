"""The example project: the seed's counter and chat, a todo list stored in
sqlite with keyed rows, and live components, served by one ASGI app
(`demo.asgi:application`). `scripts/run.sh` migrates the database first."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "wasmlive-demo-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",
    "wasmlive",
    "demo",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "demo.urls"
ASGI_APPLICATION = "demo.asgi.application"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True}]
# WASMLIVE_DEMO_DB: another database file (the tests give each server its own).
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("WASMLIVE_DEMO_DB", BASE_DIR.parent / "db.sqlite3")}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"
USE_TZ = True
TIME_ZONE = "UTC"
LIVEVIEW_CONFIG = {
    "actor_ttl_seconds": 3600,
}
# PubSub across processes (wasmlive.broadcast, the chat): on Redis when
# WASMLIVE_REDIS_URL is set (redis://127.0.0.1:6379/0); else this process alone.
if os.environ.get("WASMLIVE_REDIS_URL"):
    LIVEVIEW_CONFIG["pubsub"] = {"redis_url": os.environ["WASMLIVE_REDIS_URL"]}
