import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_app = get_asgi_application()

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

import wasmlive.routing  # noqa: E402

application = wasmlive.routing.application(ASGIStaticFilesHandler(django_app))
