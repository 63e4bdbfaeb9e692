from django.apps import AppConfig


class WasmliveConfig(AppConfig):
    name = "wasmlive"
    verbose_name = "wasmlive"

    def ready(self):
        from . import conf, db
        from ._host import configure, get_actor_stats, set_handler_threads, set_services
        from .services import DjangoServices

        from django.utils.module_loading import autodiscover_modules

        set_services(DjangoServices())
        # LiveView classes register when defined: import every app's views
        # (and live) modules, so a client can mount them by path.
        autodiscover_modules("views", "live")
        config = conf.config()
        # View code runs on handler threads, which clean up Django's connections.
        set_handler_threads(config["handler_threads"], db.cleanup)
        if not get_actor_stats().running:
            configure(**conf.actor_options(config))
