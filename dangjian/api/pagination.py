"""The API's pages (a module of its own: DRF reads it while defining its generic views)."""

from rest_framework import pagination


class Pagination(pagination.PageNumberPagination):
    """Pages of 50 by default; `page_size` asks for up to 500."""

    page_size_query_param = "page_size"
    max_page_size = 500
