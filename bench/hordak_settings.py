"""A throwaway Django settings module for the django-hordak peer of bench/ledger_bench.py.

The database comes from HORDAK_BENCH_DATABASE_URL: a database the benchmark made for the peer
alone, on the same PostgreSQL server as the ledger's."""

import os

import dj_database_url

SECRET_KEY = "bench-only"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DATABASES = {"default": dj_database_url.parse(os.environ["HORDAK_BENCH_DATABASE_URL"], conn_max_age=None)}
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "mptt", "djmoney", "hordak"]
DEFAULT_CURRENCY = "CNY"
CURRENCIES = ["CNY"]
HORDAK_CURRENCIES = ["CNY"]
