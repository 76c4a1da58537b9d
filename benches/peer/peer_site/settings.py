"""Settings of the peer project of scripts/bench-peer: django-s3-file-field on a local S3 server
(moto), loopback only. Everything that differs per run comes from the environment; the keys are
dummy test keys (moto accepts any)."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# A dummy key: signs upload-initialize's upload_signature, nothing else.
SECRET_KEY = "peer-bench-dummy-secret-key-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.auth",  # rest_framework's anonymous user
    "django.contrib.contenttypes",
    "rest_framework",
    "s3_file_field",
    "uploads",
]
# Of Django's default middleware only CommonMiddleware (it sets Content-Length, so answers are not
# chunked): an anonymous JSON POST to the API views uses no sessions, CSRF or messages, so the peer
# is measured at its leanest.
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "peer_site.urls"
WSGI_APPLICATION = "peer_site.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PEER_SQLITE_PATH", str(BASE_DIR / "peer.sqlite")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

# Every FileField, S3FileField included, stores through django-storages' S3 backend.
STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AWS_S3_ENDPOINT_URL = os.environ.get("PEER_S3_ENDPOINT_URL", "http://127.0.0.1:5000")
AWS_STORAGE_BUCKET_NAME = os.environ.get("PEER_S3_BUCKET", "peer-bench")
AWS_S3_REGION_NAME = os.environ.get("PEER_S3_REGION", "us-east-1")
AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "testing")
AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "testing")
# moto on 127.0.0.1 has no bucket subdomains; the presigned URLs are SigV4, like joist's.
AWS_S3_ADDRESSING_STYLE = "path"
AWS_S3_SIGNATURE_VERSION = "s3v4"

# Errors to gunicorn's log (stderr); no request logging.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
