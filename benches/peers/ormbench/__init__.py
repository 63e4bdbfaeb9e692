"""The end-to-end benchmark's database workload (benches/e2e.py): a counter
whose every event writes one row and reads the count back through Django's
ORM (sqlite), as a wasmlive view (`live.py`) and a djust one
(`djust_site/benchapp/views.py`), on the same model."""
