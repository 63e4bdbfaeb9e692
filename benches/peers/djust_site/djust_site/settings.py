"""djust 1.2.6's side of the end-to-end benchmark: the counter view in its
actor mode behind its own LiveViewConsumer, rate limits raised so they do
not cap the load (benches/e2e.py)."""

import os

SECRET_KEY = "djust-bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "channels",
    "djust",
    "benchapp",
    "ormbench",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "djust_site.urls"
ASGI_APPLICATION = "djust_site.asgi.application"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True}]
# The database workload's file (benches/e2e.py migrates a fresh one per server).
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("BENCH_DB", ":memory:")}}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
STATIC_URL = "/static/"
USE_TZ = True
LIVEVIEW_ALLOWED_MODULES = ["benchapp"]
LIVEVIEW_CONFIG = {
    "use_actors": True,
    "rate_limit": {"rate": 1_000_000, "burst": 1_000_000, "max_warnings": 1_000_000, "max_connections_per_ip": 100_000},
}
