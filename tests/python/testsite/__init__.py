"""The demo project plus pages only the browser tests need (`urls.py`).
Served by the demo's ASGI app with ``DJANGO_SETTINGS_MODULE=testsite.settings``."""
