from tests.support.portal import AVA, login, new_client_id, pull_all


async def test_ava_logs_in_and_pulls_both_accounts(client):
    headers = await login(client, AVA)
    me = (await client.get("/api/auth/me", headers=headers)).json()
    assert {a["name"] for a in me["accounts"]} == {"Ava Reed", "Reed Landscaping"}
    page, rows = await pull_all(client, headers, new_client_id())
    entities = {e for e, _ in rows}
    assert {"tenant", "account", "job", "invoice", "site"} <= entities
