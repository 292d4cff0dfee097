def console(request):
    return {"site_title": "党建引领基层治理平台"}
