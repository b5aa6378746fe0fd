"""The Official Account's custom menu, built from the KB's categories, and its upload."""

from __future__ import annotations

from bot.kb.model import KnowledgeBase

TOP_MAX = 3  # WeChat: at most 3 top-level buttons
SUB_MAX = 5  # … with at most 5 sub-buttons each
TOP_NAME_BYTES = 16  # top-level names: 16 bytes (4 Chinese characters)
SUB_NAME_BYTES = 60  # sub-button names: 60 bytes
KEY_BYTES = 128  # click keys: 128 bytes

# Click keys are the dialogue's own action payloads (bot.dialogue.Dialogue.act).
HELP_MENU = {
    "name": "使用帮助",
    "sub_button": [
        {"type": "click", "name": "全部项目", "key": "list"},
        {"type": "click", "name": "我的订阅", "key": "mysubs"},
        {"type": "click", "name": "使用帮助", "key": "help"},
    ],
}
GROUP_NAMES = ("项目分类", "更多分类")


def _fit(name: str, limit: int) -> str:
    while len(name.encode("utf-8")) > limit:
        name = name[:-1]
    return name


def build_menu(kb: KnowledgeBase) -> dict:
    """Two top-level buttons of categories (5 each; a last 'all categories' when more) and help."""
    cats = [
        {"type": "click", "name": _fit(name, SUB_NAME_BYTES), "key": f"cat:{i}"}
        for i, (name, _projects) in enumerate(kb.by_category())
    ]
    room = SUB_MAX * len(GROUP_NAMES)
    if len(cats) > room:  # the rest stay reachable through the category list
        cats = cats[: room - 1] + [{"type": "click", "name": "全部类别", "key": "cats"}]
    groups = [cats[i : i + SUB_MAX] for i in range(0, len(cats), SUB_MAX)]
    buttons = [{"name": GROUP_NAMES[i], "sub_button": group} for i, group in enumerate(groups)]
    buttons.append(HELP_MENU)
    return {"button": buttons}


def problems(menu: dict) -> list[str]:
    """Everything WeChat would refuse in this menu (empty when it is fine)."""
    out = []
    top = menu.get("button", [])
    if not 1 <= len(top) <= TOP_MAX:
        out.append(f"{len(top)} top-level buttons (1..{TOP_MAX} allowed)")
    for b in top:
        name = b.get("name", "")
        if not name or len(name.encode("utf-8")) > TOP_NAME_BYTES:
            out.append(f"top-level name {name!r} empty or over {TOP_NAME_BYTES} bytes")
        subs = b.get("sub_button", [])
        if len(subs) > SUB_MAX:
            out.append(f"{name}: {len(subs)} sub-buttons (at most {SUB_MAX})")
        if not subs and not b.get("key"):
            out.append(f"{name}: neither sub-buttons nor a key")
        for s in subs:
            sname, key = s.get("name", ""), s.get("key", "")
            if not sname or len(sname.encode("utf-8")) > SUB_NAME_BYTES:
                out.append(f"sub-button name {sname!r} empty or over {SUB_NAME_BYTES} bytes")
            if s.get("type") == "click" and not 0 < len(key.encode("utf-8")) <= KEY_BYTES:
                out.append(f"{sname}: key {key!r} empty or over {KEY_BYTES} bytes")
    return out


def upload_menu(menu: dict, app_id: str, secret: str, api_base_url: str | None = None) -> dict:
    """Upload through wechatpy's client (menu/create); raises WeChatClientException on refusal."""
    from bot.channels.wechat.notify import make_client

    client = make_client(app_id, secret, api_base_url)
    try:
        return client.menu.create(menu)
    finally:
        client._http.close()
