"""``python -m wasmlive``: the wasmlive command line (render, diff, check,
inspect, bench, serve), with Python handlers for ``serve``.

With ``DJANGO_SETTINGS_MODULE`` set, ``serve`` sets Django up first, so its
handler classes may use that project's models (they run on the handler
threads, which handle database connections as under Django)."""

import os
import sys


def main():
    settings = os.environ.get("DJANGO_SETTINGS_MODULE")
    if settings and sys.argv[1:2] == ["serve"] and not {"-h", "--help"} & set(sys.argv[2:]):
        import django

        try:
            django.setup()
        except Exception as e:
            print(f"error: cannot set Django up with DJANGO_SETTINGS_MODULE={settings}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    from ._host import cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
