"""The ``define`` scope on the write path (xAPI 1.0.3 Communication §4), on both storage adapters.

Two credentials of one tenant: a content player with ``statements/write`` and ``statements/read`` only, and an
authoring tool with ``define``.  Only the second may change a canonical definition; the first creates one only
when the tenant has none yet, and its statements are stored exactly as sent either way.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import World, XAPIClient
from tests.factories import ACTIVITY, make_statement

TENANT = "tenant-a"
PLAYER_SCOPES = ["statements/write", "statements/read"]
AUTHOR_SCOPES = ["statements/write", "statements/read", "define"]


def sent_with(definition: dict[str, Any], activity_id: str = ACTIVITY) -> dict[str, Any]:
    return make_statement(object={"objectType": "Activity", "id": activity_id, "definition": definition})


def canonical(client: XAPIClient, activity_id: str = ACTIVITY) -> Any:
    response = client.request("GET", "/xapi/activities", query_string={"activityId": activity_id})
    assert response.status_code == 200
    return response.get_json().get("definition")


def test_without_define_an_existing_definition_is_never_changed(world: World) -> None:
    player, author = world.client_for(TENANT, PLAYER_SCOPES), world.client_for(TENANT, AUTHOR_SCOPES)
    assert author.post(sent_with({"name": {"en-US": "Onboarding"}})).status_code == 200
    changed = sent_with({"name": {"en-US": "Renamed", "fr-FR": "Intégration"}, "type": "http://ex.gov/t/x"})
    assert player.post(changed).status_code == 200
    assert canonical(player) == {"name": {"en-US": "Onboarding"}}
    stored = player.get(statementId=changed["id"]).get_json()
    assert stored["object"]["definition"] == changed["object"]["definition"]
    canonical_format = player.get(statementId=changed["id"], format="canonical").get_json()
    assert canonical_format["object"]["definition"] == {"name": {"en-US": "Onboarding"}}


def test_without_define_a_new_activity_gets_its_first_definition(world: World) -> None:
    player, author = world.client_for(TENANT, PLAYER_SCOPES), world.client_for(TENANT, AUTHOR_SCOPES)
    assert player.post(sent_with({"name": {"en-US": "Quiz"}})).status_code == 200
    assert player.post(sent_with({"name": {"en-US": "Quiz 2"}})).status_code == 200
    assert canonical(author) == {"name": {"en-US": "Quiz"}}
    assert author.post(sent_with({"name": {"en-US": "Quiz 3", "id-ID": "Kuis"}})).status_code == 200
    assert canonical(player) == {"name": {"en-US": "Quiz 3", "id-ID": "Kuis"}}


def test_all_includes_define(world: World) -> None:
    world.client_for(TENANT, PLAYER_SCOPES).post(sent_with({"name": {"en-US": "Quiz"}}))
    assert world.a.post(sent_with({"name": {"id-ID": "Kuis"}})).status_code == 200
    assert canonical(world.a) == {"name": {"en-US": "Quiz", "id-ID": "Kuis"}}
