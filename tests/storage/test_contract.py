"""The storage contract: every adapter must pass every test here (sqlite, mongomock, real MongoDB)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from lrs.agents import ifi_key
from lrs.errors import ConflictError
from lrs.statement_fields import AUTHORITY as AUTHORITY_KEY
from lrs.statement_fields import RELATED_ACTIVITY, RELATED_AGENT, VERB, activity_filter_key
from lrs.statement_query import StatementFilter, to_storage_query
from lrs.statements import prepare
from lrs.storage.port import Credential, StatementQuery, Store, Tenant
from tests.factories import ACTIVITY, AUTHORITY, make_agent, make_statement, ref_to, voiding

A, B = "tenant-a", "tenant-b"


def put(store: Store, tenant: str, *statements: dict[str, Any]) -> dict[str, str]:
    records = [prepare(s, authority=AUTHORITY, default_version="1.0.0")[2] for s in statements]
    return store.insert_statements(tenant, records)


def ids_of(store: Store, tenant: str, **filter_args: Any) -> list[str]:
    limit = filter_args.pop("page", 1000)
    query = to_storage_query(StatementFilter(**filter_args), limit=limit)
    return [s.statement_id for s in store.query_statements(tenant, query).statements]


def all_pages(store: Store, tenant: str, query: StatementQuery) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(1000):
        page = store.query_statements(tenant, StatementQuery(**{**query.__dict__, "after": after}))
        seen.extend(s.statement_id for s in page.statements)
        if page.next_after is None:
            return seen
        after = page.next_after
    raise AssertionError("paging did not end")


# --- writing and reading ------------------------------------------------------------------------


def test_round_trip_keeps_the_body_and_adds_stored_and_timestamp(store: Store) -> None:
    statement = make_statement(extensions=None)
    statement["context"] = {"extensions": {"http://ex.gov/x": {"$where": 1, "a.b": [None, "", {}]}}}
    assert put(store, A, statement) == {}
    found = store.get_statement(A, statement["id"])
    assert found is not None and not found.voided
    body = json.loads(found.body)
    assert body["context"] == statement["context"]
    assert body["stored"] == body["timestamp"]
    assert body["stored"].endswith("Z")
    assert body["authority"] == AUTHORITY
    assert body["version"] == "1.0.0"


def test_client_timestamp_is_kept_as_the_same_instant_in_utc(store: Store) -> None:
    statement = make_statement(timestamp="2030-01-01T10:00:00+07:00")
    put(store, A, statement)
    body = json.loads(store.get_statement(A, statement["id"]).body)  # type: ignore[union-attr]
    assert body["timestamp"] == "2030-01-01T03:00:00Z"
    assert body["stored"] != body["timestamp"]


def test_existing_id_writes_nothing_and_returns_the_stored_body(store: Store) -> None:
    first = make_statement()
    put(store, A, first)
    stored_body = store.get_statement(A, first["id"]).body  # type: ignore[union-attr]
    fresh = make_statement()
    changed = make_statement(id=first["id"], verb={"id": "http://ex.gov/verbs/other"})
    assert put(store, A, fresh, changed) == {first["id"]: stored_body}
    assert store.get_statement(A, fresh["id"]) is None
    assert store.count_statements(A) == 1


def test_stored_never_decreases_and_a_batch_shares_one_stored(store: Store) -> None:
    batch = [make_statement() for _ in range(3)]
    put(store, A, *batch)
    later = make_statement()
    put(store, A, later)
    stored = [store.get_statement(A, s["id"]).stored_us for s in [*batch, later]]  # type: ignore[union-attr]
    assert stored[0] == stored[1] == stored[2] <= stored[3]


def test_tenants_are_isolated(store: Store) -> None:
    shared_id = make_statement()["id"]
    mine = make_statement(id=shared_id)
    theirs = make_statement(id=shared_id, verb={"id": "http://ex.gov/verbs/theirs"})
    assert put(store, A, mine) == {}
    assert put(store, B, theirs) == {}
    assert json.loads(store.get_statement(A, shared_id).body)["verb"] == mine["verb"]  # type: ignore[union-attr]
    assert json.loads(store.get_statement(B, shared_id).body)["verb"] == theirs["verb"]  # type: ignore[union-attr]
    assert ids_of(store, A, verb="http://ex.gov/verbs/theirs") == []
    assert ids_of(store, "tenant-c") == []
    assert store.get_statement("tenant-c", shared_id) is None


# --- filters ---------------------------------------------------------------------------------------


def test_verb_agent_activity_registration_filters(store: Store) -> None:
    registration = "6fbd600f-d17c-4c74-801a-2ec2e53231e8"
    s1 = make_statement(context={"registration": registration})
    s2 = make_statement(actor=make_agent("budi"), verb={"id": "http://ex.gov/verbs/attempted"})
    s3 = make_statement(object={"objectType": "Activity", "id": "http://ex.gov/other"})
    put(store, A, s1, s2, s3)
    assert set(ids_of(store, A, verb="http://ex.gov/verbs/attempted")) == {s2["id"]}
    assert set(ids_of(store, A, agent=make_agent("ayu"))) == {s1["id"], s3["id"]}
    assert set(ids_of(store, A, activity=ACTIVITY)) == {s1["id"], s2["id"]}
    assert ids_of(store, A, registration=registration.upper()) == [s1["id"]]
    assert ids_of(store, A, agent=make_agent("ayu"), activity="http://ex.gov/other") == [s3["id"]]


def test_agent_filter_matches_object_agents_and_group_members(store: Store) -> None:
    as_object = make_statement(actor=make_agent("coach"), object=make_agent("ayu"))
    group = {"objectType": "Group", "name": "team", "member": [make_agent("ayu"), make_agent("budi")]}
    as_member = make_statement(actor=group)
    identified = make_statement(actor={"objectType": "Group", "account": {"homePage": "https://sso.gov", "name": "g1"}})
    put(store, A, as_object, as_member, identified)
    assert set(ids_of(store, A, agent=make_agent("ayu"))) == {as_object["id"], as_member["id"]}
    assert ids_of(
        store, A, agent={"objectType": "Group", "account": {"homePage": "https://sso.gov", "name": "g1"}}
    ) == [identified["id"]]


def test_mbox_domain_is_case_insensitive(store: Store) -> None:
    statement = make_statement(actor={"mbox": "mailto:Ayu@Example.GOV"})
    put(store, A, statement)
    assert ids_of(store, A, agent={"mbox": "mailto:Ayu@example.gov"}) == [statement["id"]]


def test_related_agents_and_related_activities(store: Store) -> None:
    instructed = make_statement(actor=make_agent("budi"), context={"instructor": make_agent("ayu")})
    parent = make_statement(
        actor=make_agent("citra"),
        object={"objectType": "Activity", "id": "http://ex.gov/module-1"},
        context={"contextActivities": {"parent": [{"id": ACTIVITY}]}},
    )
    sub = make_statement(
        actor=make_agent("budi"),
        object={
            "objectType": "SubStatement",
            "actor": make_agent("ayu"),
            "verb": {"id": "http://ex.gov/verbs/will-complete"},
            "object": {"id": "http://ex.gov/module-2"},
        },
    )
    put(store, A, instructed, parent, sub)
    assert ids_of(store, A, agent=make_agent("ayu")) == []
    assert set(ids_of(store, A, agent=make_agent("ayu"), related_agents=True)) == {instructed["id"], sub["id"]}
    assert ids_of(store, A, activity=ACTIVITY) == [instructed["id"]]
    assert set(ids_of(store, A, activity=ACTIVITY, related_activities=True)) == {instructed["id"], parent["id"]}
    assert ids_of(store, A, activity="http://ex.gov/module-2", related_activities=True) == [sub["id"]]
    # the authority is a related agent
    authority_agent = {"account": AUTHORITY["account"]}
    assert len(ids_of(store, A, agent=authority_agent, related_agents=True)) == 3


def test_authority_key_restricts_to_own_statements(store: Store) -> None:
    own = make_statement()
    put(store, A, own)
    other_authority = {"objectType": "Agent", "account": {"homePage": "https://lrs.test/credentials", "name": "key-b"}}
    store.insert_statements(A, [prepare(make_statement(), authority=other_authority, default_version="1.0.0")[2]])
    key = AUTHORITY_KEY + str(ifi_key(AUTHORITY))
    query = to_storage_query(StatementFilter(extra_keys=(key,)), limit=10)
    assert [s.statement_id for s in store.query_statements(A, query).statements] == [own["id"]]


# --- ordering, paging, time bounds -----------------------------------------------------------------


def test_order_is_stored_descending_by_default_and_ascending_on_request(store: Store) -> None:
    first, second, third = make_statement(), make_statement(), make_statement()
    for s in (first, second, third):
        put(store, A, s)
    assert ids_of(store, A) == [third["id"], second["id"], first["id"]]
    assert ids_of(store, A, ascending=True) == [first["id"], second["id"], third["id"]]


@pytest.mark.parametrize("ascending", [False, True])
def test_paging_returns_every_statement_once_even_with_identical_stored(store: Store, ascending: bool) -> None:
    batch = [make_statement() for _ in range(23)]
    put(store, A, *batch)
    put(store, A, make_statement(verb={"id": "http://ex.gov/verbs/noise"}))
    query = StatementQuery(keys=(VERB + "http://adlnet.gov/expapi/verbs/completed",), ascending=ascending, limit=7)
    seen = all_pages(store, A, query)
    assert sorted(seen) == sorted(s["id"] for s in batch)
    expected = [s["id"] for s in batch]
    assert seen == (expected if ascending else expected[::-1])
    unfiltered = all_pages(store, A, StatementQuery(ascending=ascending, limit=5))
    assert len(unfiltered) == len(set(unfiltered)) == 24


def test_page_reports_no_more_when_exactly_full(store: Store) -> None:
    put(store, A, make_statement(), make_statement())
    page = store.query_statements(A, StatementQuery(limit=2))
    assert len(page.statements) == 2 and page.next_after is None


def test_since_is_exclusive_and_until_inclusive_on_stored(store: Store) -> None:
    early, late = make_statement(), make_statement()
    put(store, A, early)
    time.sleep(0.003)  # stored has millisecond precision
    put(store, A, late)
    early_us = store.get_statement(A, early["id"]).stored_us  # type: ignore[union-attr]
    late_us = store.get_statement(A, late["id"]).stored_us  # type: ignore[union-attr]
    assert early_us < late_us
    assert ids_of(store, A, since_us=early_us) == [late["id"]]
    assert ids_of(store, A, until_us=early_us) == [early["id"]]
    assert ids_of(store, A, since_us=early_us - 1, until_us=late_us) == [late["id"], early["id"]]
    assert ids_of(store, A, since_us=late_us) == []


# --- voiding ----------------------------------------------------------------------------------------


def test_voiding_hides_the_target_from_queries_but_keeps_it_by_id(store: Store) -> None:
    target = make_statement()
    put(store, A, target)
    void = voiding(target["id"])
    put(store, A, void)
    assert store.get_statement(A, target["id"]).voided  # type: ignore[union-attr]
    assert ids_of(store, A) == [void["id"]]


def test_voiding_before_the_target_arrives(store: Store) -> None:
    target_id = make_statement()["id"]
    put(store, A, voiding(target_id))
    put(store, A, make_statement(id=target_id))
    assert store.get_statement(A, target_id).voided  # type: ignore[union-attr]
    assert target_id not in ids_of(store, A)


def test_voiding_inside_one_batch(store: Store) -> None:
    target = make_statement()
    put(store, A, voiding(target["id"]), target)
    assert store.get_statement(A, target["id"]).voided  # type: ignore[union-attr]


def test_a_voiding_statement_cannot_be_voided(store: Store) -> None:
    target = make_statement()
    first_void = voiding(target["id"])
    put(store, A, target, first_void)
    put(store, A, voiding(first_void["id"]))
    assert not store.get_statement(A, first_void["id"]).voided  # type: ignore[union-attr]
    assert store.get_statement(A, target["id"]).voided  # type: ignore[union-attr]


def test_voiding_never_crosses_tenants(store: Store) -> None:
    target = make_statement()
    put(store, B, target)
    put(store, A, voiding(target["id"]))
    assert not store.get_statement(B, target["id"]).voided  # type: ignore[union-attr]


# --- StatementRef filter inheritance ----------------------------------------------------------------


def test_targeting_statement_matches_the_targets_filters(store: Store) -> None:
    target = make_statement(actor=make_agent("ben"))
    follow_up = ref_to(target["id"])
    put(store, A, target)
    put(store, A, follow_up)
    assert ids_of(store, A, agent=make_agent("ben")) == [follow_up["id"], target["id"]]
    assert ids_of(store, A, activity=ACTIVITY) == [follow_up["id"], target["id"]]
    # each filter condition may be met by the statement itself or by its target
    assert ids_of(store, A, agent=make_agent("ben"), verb="http://ex.gov/verbs/confirmed") == [follow_up["id"]]


def test_inheritance_works_in_either_arrival_order_and_down_chains(store: Store) -> None:
    target = make_statement(actor=make_agent("ben"))
    middle = ref_to(target["id"])
    top = ref_to(middle["id"])
    put(store, A, top)
    put(store, A, middle)
    assert ids_of(store, A, agent=make_agent("ben")) == []
    put(store, A, target)
    assert set(ids_of(store, A, agent=make_agent("ben"))) == {top["id"], middle["id"], target["id"]}


def test_voiding_statement_is_found_by_its_voided_targets_filters(store: Store) -> None:
    target = make_statement(actor=make_agent("ben"))
    void = voiding(target["id"], actor=make_agent("admin"))
    put(store, A, target, void)
    assert ids_of(store, A, agent=make_agent("ben")) == [void["id"]]


def test_authority_is_not_inherited(store: Store) -> None:
    target = make_statement()
    put(store, A, target)
    other_authority = {"objectType": "Agent", "account": {"homePage": "https://lrs.test/credentials", "name": "key-b"}}
    follow_up = ref_to(target["id"])
    store.insert_statements(A, [prepare(follow_up, authority=other_authority, default_version="1.0.0")[2]])
    key = AUTHORITY_KEY + str(ifi_key(AUTHORITY))
    query = to_storage_query(StatementFilter(extra_keys=(key,)), limit=10)
    assert [s.statement_id for s in store.query_statements(A, query).statements] == [target["id"]]


def test_inheritance_never_crosses_tenants(store: Store) -> None:
    target = make_statement(actor=make_agent("ben"))
    put(store, B, target)
    put(store, A, ref_to(target["id"]))
    assert ids_of(store, A, agent=make_agent("ben")) == []


# --- activities, secrets, tenants, credentials -----------------------------------------------------


def test_activity_definitions_are_merged_per_tenant(store: Store) -> None:
    put(store, A, make_statement())
    put(
        store,
        A,
        make_statement(
            object={"id": ACTIVITY, "definition": {"name": {"id-ID": "Orientasi"}, "description": {"en-US": "d"}}}
        ),
    )
    put(store, B, make_statement(object={"id": ACTIVITY, "definition": {"name": {"en-US": "B's name"}}}))
    definition = store.get_activity_definitions(A, [ACTIVITY, "http://ex.gov/unknown"])
    assert definition == {
        ACTIVITY: {
            "name": {"en-US": "Onboarding", "id-ID": "Orientasi"},
            "description": {"en-US": "d"},
            "type": "http://adlnet.gov/expapi/activities/course",
        }
    }
    assert store.get_activity_definitions(B, [ACTIVITY])[ACTIVITY]["name"] == {"en-US": "B's name"}


def test_definitions_without_define_only_create_missing_canonical_ones(store: Store) -> None:
    other = "http://ex.gov/activities/new"
    put(store, A, make_statement())
    sent = make_statement(
        object={"id": ACTIVITY, "definition": {"name": {"en-US": "Renamed", "id-ID": "Orientasi"}}},
        context={"contextActivities": {"parent": [{"id": other, "definition": {"name": {"en-US": "New"}}}]}},
    )
    later = make_statement(object={"id": other, "definition": {"name": {"en-US": "Changed"}}})
    records = [prepare(s, authority=AUTHORITY, default_version="1.0.0", define=False)[2] for s in (sent, later)]
    assert store.insert_statements(A, records) == {}
    assert store.get_activity_definitions(A, [ACTIVITY, other]) == {
        ACTIVITY: {"name": {"en-US": "Onboarding"}, "type": "http://adlnet.gov/expapi/activities/course"},
        other: {"name": {"en-US": "New"}},
    }
    body = json.loads(store.get_statement(A, sent["id"]).body)  # type: ignore[union-attr]
    assert body["object"]["definition"] == sent["object"]["definition"]
    put(store, A, make_statement(object={"id": other, "definition": {"name": {"fr-FR": "Nouveau"}}}))
    assert store.get_activity_definitions(A, [other])[other] == {"name": {"en-US": "New", "fr-FR": "Nouveau"}}


def test_secret_is_created_once(store: Store) -> None:
    first = store.get_or_create_secret("cursor")
    assert len(first) == 32
    assert store.get_or_create_secret("cursor") == first
    assert store.get_or_create_secret("other") != first


def test_tenants_and_credentials(store: Store) -> None:
    store.create_tenant(Tenant("kemenkeu", "Kementerian Keuangan", "active", 1))
    with pytest.raises(ConflictError):
        store.create_tenant(Tenant("kemenkeu", "again", "active", 2))
    assert store.get_tenant("kemenkeu") == Tenant("kemenkeu", "Kementerian Keuangan", "active", 1)
    assert store.get_tenant("nope") is None
    store.create_tenant(Tenant("bkn", "BKN", "active", 3))
    assert [t.slug for t in store.list_tenants()] == ["bkn", "kemenkeu"]

    credential = Credential("k1", "kemenkeu", "scrypt$x", ("statements/write", "statements/read"), "moodle", 5)
    store.add_credential(credential)
    with pytest.raises(ConflictError):
        store.add_credential(credential)
    assert store.get_credential("k1") == credential
    assert store.get_credential("k2") is None
    assert store.list_credentials("kemenkeu") == [credential]
    assert store.list_credentials("bkn") == []
    speaks_103 = Credential("k3", "bkn", "scrypt$y", ("all",), "", 6, xapi_version="1.0.3")
    store.add_credential(speaks_103)
    assert store.get_credential("k3") == speaks_103
    assert credential.xapi_version == "2.0.0"


def test_filters_with_unknown_keys_return_nothing(store: Store) -> None:
    put(store, A, make_statement())
    query = StatementQuery(keys=(RELATED_AGENT + "mbox:mailto:nobody@x", RELATED_ACTIVITY + ACTIVITY), limit=5)
    assert store.query_statements(A, query).statements == []
    assert ids_of(store, A, activity=activity_filter_key("x", related=False)) == []


def test_malformed_position_is_a_bad_request(store: Store) -> None:
    from lrs.errors import BadRequestError

    put(store, A, make_statement())
    with pytest.raises(BadRequestError):
        store.query_statements(A, StatementQuery(after="not-a-position"))


def test_target_later_in_the_same_batch_is_inherited(store: Store) -> None:
    target = make_statement(actor=make_agent("ben"))
    follow_up = ref_to(target["id"])
    put(store, A, follow_up, target)
    assert set(ids_of(store, A, agent=make_agent("ben"))) == {follow_up["id"], target["id"]}
