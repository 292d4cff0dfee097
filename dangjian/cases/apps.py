from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "dangjian.cases"
    label = "cases"
    verbose_name = "网格事件"

    def ready(self):
        from dangjian.cases.models import Event, VisitRecord, VisitTeam
        from dangjian.core.audit import register_seal
        from dangjian.core.treemodel import register_path_copy

        register_path_copy(Event, "area_path", "area")
        register_path_copy(Event, "dispatch_area_path", "area")
        register_path_copy(VisitTeam, "area_path", "area")
        register_path_copy(VisitRecord, "area_path", "area")
        register_seal("cases.event", event_seal)
        from dangjian.territory.closing import register_close_blocker

        register_close_blocker(open_events)
        from dangjian.cases import todos

        todos.declare()


def open_events(*, path: str) -> str | None:
    """What keeps an area from closing (``territory.closing``): events not yet closed there."""
    from dangjian.cases.models import OPEN_STATES, Event
    from dangjian.core import tree

    n = Event.objects.filter(tree.subtree_q("area_path", path), state__in=OPEN_STATES).count()
    return f"未办结事件{n}件" if n else None


def event_seal(event, action: str, actor):
    """Audit rows that seal their actor: every rating (评价) of an event, and what the
    reporter of an anonymous event does on it; an anonymous event's rows also seal the
    reporter's (masked) phone. A rating's follow-up call (staff's record of calling the
    reporter, phone numbers in it masked) stays readable: reviewers check the call was made."""
    if action == "event.evaluate":
        return True, ("reporter_phone",)
    if getattr(event, "anonymous", False):
        from dangjian.cases.models import INTAKE_SOURCES

        # A report taken for an anonymous caller (by phone, at the counter, from the hotline)
        # has the staff member's account as its reporter: they are not who stays anonymous.
        pk = getattr(actor, "pk", None)
        own = pk is not None and pk == event.reporter_id and event.source not in INTAKE_SOURCES
        return own, ("reporter_phone",)
    return None
