"""The dispatch classifier trained on the deployment's closed events: it beats the keyword
rules on held-out labelled reports, the rules answer while history is too thin, versions,
the retrain task and command, the suggestion's method in the API; and the demo events."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dangjian.accounts.models import User
from dangjian.cases.classification import classifier, text
from dangjian.cases.models import (
    ClassifierModel,
    Event,
    EventClass,
    EventStep,
    Source,
    State,
)
from dangjian.cases.tasks import classifier_train_task
from dangjian.core import crypto
from dangjian.demo import case_texts
from dangjian.demo import cases as demo

pytestmark = pytest.mark.django_db

TRAIN = 1200


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    classifier.clear_cache()
    yield
    classifier.clear_cache()


def closed_events(world, pairs, state=State.CLOSED) -> list[Event]:
    """Closed events with these (description, final class) pairs, as the history holds them."""
    classes = {c.code: c for c in EventClass.objects.all()}
    words = text.keyword_set()
    rows = [
        Event(
            description=body,
            area=world.grid,
            area_path=world.grid.path,
            grid=world.grid,
            event_class=classes[code],
            class_source="dispatcher",
            tokens=" ".join(text.tokens(body, words)),
            state=state,
            dispatch_area=world.street,
            dispatch_area_path=world.street.path,
            source=Source.PATROL,
        )
        for body, code in pairs
    ]
    return Event.objects.bulk_create(rows)


def test_too_little_history_keeps_the_keyword_rules(world):
    closed_events(world, case_texts.labelled_texts(50))
    assert classifier.train() is None  # 50 < 200 (the setting)
    assert not ClassifierModel.objects.exists()
    suggestion, toks = classifier.suggest("小区门口垃圾堆积如山，已经发臭好几天了")
    assert (suggestion.code, suggestion.method) == ("environment", "keywords")
    assert suggestion.department_name == "环卫所" and "垃圾" in toks


def test_open_events_do_not_count_as_labelled(world):
    closed_events(world, case_texts.labelled_texts(250), state=State.HANDLING)
    assert classifier.labelled_count() == 0
    assert classifier.train() is None


def test_trained_model_beats_the_keyword_rules_on_held_out_reports(world):
    closed_events(world, case_texts.labelled_texts(TRAIN))
    row = classifier.train()
    assert row is not None and row.version == 1 and row.active and row.samples == TRAIN
    assert row.evaluation["holdout"] == round(TRAIN * 0.2)
    assert row.evaluation["model"] > row.evaluation["keywords"]
    # A separate held-out set, drawn with another seed, through the public suggestion.
    held_out = case_texts.labelled_texts(300, seed="held-out")
    rule_list = text.rules()
    model_right = sum(classifier.suggest(body)[0].code == code for body, code in held_out)
    rules_right = sum(
        text.classify_keywords(body, rule_list)[0].code == code for body, code in held_out
    )
    assert model_right > rules_right
    assert model_right / len(held_out) >= 0.85


def test_suggestion_says_its_method_confidence_and_department(world):
    closed_events(world, case_texts.labelled_texts(400))
    classifier.train()
    s, _ = classifier.suggest("楼下餐馆把泔水倒进雨水沟，水都发黑了")
    assert s.method == "naive_bayes" and s.model_version == 1
    assert s.code == "environment" and 0 < s.confidence <= 1
    assert s.keywords and s.department_name == "环卫所"
    # Nothing the model knows: the rules answer (and here find nothing either).
    none, _ = classifier.suggest("今天天气不错")
    assert none.code is None and none.method == ""


def test_rules_answer_again_when_the_threshold_rises(world, settings):
    closed_events(world, case_texts.labelled_texts(300))
    classifier.train()
    settings.DANGJIAN = {**settings.DANGJIAN, "CASES_CLASSIFIER_MIN_EVENTS": 301}
    s, _ = classifier.suggest("小区门口垃圾堆积如山")
    assert s.method == "keywords"
    settings.DANGJIAN = {**settings.DANGJIAN, "CASES_CLASSIFIER_MIN_EVENTS": 300}
    assert classifier.suggest("小区门口垃圾堆积如山")[0].method == "naive_bayes"


def test_inactive_classes_are_never_suggested(world):
    closed_events(world, case_texts.labelled_texts(400))
    classifier.train()
    EventClass.objects.filter(code="environment").update(active=False)
    s, _ = classifier.suggest("楼下餐馆把泔水倒进雨水沟，水都发黑了")
    assert s.code != "environment"


def test_retrain_task_and_command_make_new_versions(world):
    closed_events(world, case_texts.labelled_texts(300))
    assert classifier_train_task.call()["version"] == 1
    assert classifier.suggest("路口的井盖缺失了")[0].model_version == 1
    closed_events(world, case_texts.labelled_texts(100, seed="more"))
    out = io.StringIO()
    call_command("cases_train_classifier", stdout=out)
    assert "已训练分类模型v2" in out.getvalue() and "样本400件" in out.getvalue()
    assert list(ClassifierModel.objects.values_list("version", "active")) == [
        (2, True),
        (1, False),
    ]
    # The new version answers at once (the process cache follows the version).
    assert classifier.suggest("路口的井盖缺失了")[0].model_version == 2
    out = io.StringIO()
    call_command("cases_train_classifier", "--min-events", "1000", stdout=out)
    assert "暂用关键词规则" in out.getvalue()
    assert ClassifierModel.objects.count() == 2


def test_intake_records_the_models_suggestion_and_the_api_shows_the_method(world, api):
    closed_events(world, case_texts.labelled_texts(400))
    classifier.train()
    r = api.post(
        world.users["grid"],
        "/api/v1/cases/duplicates",
        {"description": "有人往河里倒泔水，水都发黑了"},
    )
    assert r.status_code == 200, r.content
    s = r.json()["suggestion"]
    assert (s["code"], s["method"], s["method_label"]) == (
        "environment",
        "naive_bayes",
        "历史事件训练模型",
    )
    assert s["model_version"] == 1 and s["department_name"] == "环卫所"
    r = api.post(
        world.users["grid"], "/api/v1/cases/", {"description": "有人往河里倒泔水，水都发黑了"}
    )
    ev = r.json()
    assert ev["class_code"] == "environment" and ev["class_source"] == "suggested"
    assert 0 < ev["suggestion_confidence"] <= 1


def test_demo_small_seed_includes_events(db):
    from dangjian.demo.generator import seed

    counts = seed("small", progress=False)
    assert counts["events"] == demo.SMALL_EVENTS == Event.objects.count()
    states = set(Event.objects.values_list("state", flat=True))
    assert {State.CLOSED, State.EVALUATED} <= states and states & {
        State.DISPATCHED,
        State.HANDLING,
    }
    assert 0.9 <= counts["events_closure_rate"] <= 1
    assert EventStep.objects.count() == counts["event_steps"] > counts["events"]
    # Every event has its report step; the evaluated ones a rating.
    assert not Event.objects.exclude(steps__action="collect").exists()
    assert not Event.objects.filter(state=State.EVALUATED, rating="").exists()
    assert Event.objects.filter(source=Source.VISIT).exists()
    # Phones encrypted at rest, with their blind index.
    ev = Event.objects.exclude(reporter_phone="").first()
    assert ev.reporter_phone_index == crypto.blind_index("phone", ev.reporter_phone)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT reporter_phone FROM cases_event WHERE id = %s", [ev.pk])
        assert cur.fetchone()[0] != ev.reporter_phone
    # The demo accounts have events of their own to work on.
    dept_user = User.objects.get(username="demo-dept")
    assert Event.objects.visible_to(dept_user, "cases.view").exists()
    grid_user = User.objects.get(username="demo-grid")
    assert Event.objects.visible_to(grid_user, "cases.view").exists()
    # The classifier was trained on the demo's closed events.
    assert counts["classifier_version"] == 1
    assert ClassifierModel.objects.get().samples >= 200
    # New events get ids after the demo's (explicit ids, sequences moved on).
    last = Event.objects.order_by("-id").values_list("id", flat=True).first()
    assert last == counts["events"]


def test_training_is_audited(world):
    from dangjian.core.models import AuditEntry

    closed_events(world, case_texts.labelled_texts(250))
    row = classifier.train(actor=world.users["admin"])
    entry = AuditEntry.objects.get(action="classifier.train")
    assert entry.object_id == str(row.pk) and entry.after["samples"] == 250
    assert entry.after["model"] is not None and entry.after["keywords"] is not None
