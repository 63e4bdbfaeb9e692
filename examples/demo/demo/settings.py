"""The example project: the seed's counter and chat, a keyed todo list and
live components, served by one ASGI app (`demo.asgi:application`)."""

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
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
STATIC_URL = "/static/"
USE_TZ = True
TIME_ZONE = "UTC"
LIVEVIEW_CONFIG = {
    "actor_ttl_seconds": 3600,
}
