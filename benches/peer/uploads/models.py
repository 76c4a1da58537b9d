from django.db import models
from s3_file_field import S3FileField


class Resource(models.Model):
    # Its field id, the one upload-initialize takes, is "uploads.Resource.blob".
    blob = S3FileField()
