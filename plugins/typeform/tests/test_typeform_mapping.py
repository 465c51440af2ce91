"""Which answer is the NPS, the comment and the respondent: the mapping on its own."""

from __future__ import annotations

from typing import Any

import pytest
from omnihub_surveys import Ignored, SurveyAnswer
from omnihub_typeform.config import TypeformConfig
from omnihub_typeform.mapping import survey_answers
from pydantic import ValidationError
from typeform_support import NPS_ID, NPS_REF, SECRET, sample, with_scale, with_score


def config(**table: Any) -> TypeformConfig:
    return TypeformConfig.model_validate({"secret": SECRET, **table})


def one(payload: Any, **table: Any) -> SurveyAnswer:
    [outcome] = survey_answers(payload, config(**table))
    if isinstance(outcome, Ignored):
        raise outcome
    return outcome


def test_a_scale_of_unknown_range_is_no_nps_unless_configured() -> None:
    with pytest.raises(Ignored, match="no_nps_answer"):
        one(sample())  # the sample's opinion_scale has no properties: 1-5 for all we know
    assert one(sample(), nps_field=NPS_REF).score == 2
    assert one(sample(), nps_field=NPS_ID).score == 2


def test_a_zero_to_ten_opinion_scale_is_found_without_configuration() -> None:
    answer = one(with_score(with_scale(sample(), steps=11, start_at_one=False), 9))
    assert (answer.score, answer.to_event().data.category) == (9, "promoter")
    assert one(with_scale(sample(), steps=11)).score == 2  # start_at_one defaults to false


@pytest.mark.parametrize(
    "properties",
    [{"steps": 10, "start_at_one": True}, {"steps": 5}, {"steps": 11, "start_at_one": True}],
)
def test_one_to_ten_or_one_to_five_scales_are_not_taken_for_nps(properties: Any) -> None:
    with pytest.raises(Ignored, match="no_nps_answer"):
        one(with_scale(sample(), **properties))


def test_a_rating_is_nps_only_when_configured() -> None:
    assert one(sample(), nps_field="readable_ref_rating").score == 3


def test_comment_is_the_configured_field_or_the_first_long_text() -> None:
    first_long_text = sample()["form_response"]["answers"][0]["text"]
    assert one(sample(), nps_field=NPS_REF).comment == first_long_text
    named = one(sample(), nps_field=NPS_REF, comment_field="readable_ref_short_text")
    assert named.comment == sample()["form_response"]["answers"][2]["text"]
    assert one(sample(), nps_field=NPS_REF, comment_field="missing").comment is None


def test_hidden_fields_give_the_customer_id_the_survey_id_and_identifiers() -> None:
    payload = sample()
    payload["form_response"]["hidden"] = {
        "customer_id": "cus_123",
        "survey_id": "srv_42",
        "phone": "+55 11 91234-5678",
        "user_id": "abc123456",
    }
    event = one(payload, nps_field=NPS_REF).to_event()
    assert (event.customerid, event.data.survey_id) == ("cus_123", "srv_42")
    assert [(i.kind, i.value) for i in event.data.identifiers] == [
        ("phone", "+55 11 91234-5678"),
        ("email", "laura@example.com"),
    ]  # user_id is not in the default mapping


def test_without_a_hidden_customer_id_the_envelope_names_nobody() -> None:
    event = one(sample(), nps_field=NPS_REF).to_event()
    assert event.customerid is None
    assert event.channel is None


def test_the_event_id_is_the_same_for_the_same_response_only() -> None:
    first = one(sample(), nps_field=NPS_REF).to_event()
    again = one(with_score(sample(), 8), nps_field=NPS_REF).to_event()
    other = sample()
    other["form_response"]["token"] = "another-response"
    assert first.id == again.id != one(other, nps_field=NPS_REF).to_event().id


def test_a_hidden_field_mapped_to_no_identifier_kind_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="neither 'customer_id'"):
        config(hidden_fields={"uid": "Not A Kind"})
