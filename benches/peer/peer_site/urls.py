from django.urls import include, path

urlpatterns = [
    # upload-initialize/, upload-complete/ and finalize/, as the package's docs mount them.
    path("api/s3-upload/", include("s3_file_field.urls")),
]
