from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, page, number) -> str:
    """The current query string with ``page.param`` set to ``number`` (other filters kept)."""
    query = context["request"].GET.copy()
    query[getattr(page, "param", "page")] = str(number)
    return "?" + query.urlencode()
