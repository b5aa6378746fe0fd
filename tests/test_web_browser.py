"""The web chat page in real headless Chromium (Debian's package, driven by Playwright).

One browser and one server for the module; a phone (375x667) and a desktop viewport. What is
checked is what a resident sees and does: text on the screen, buttons pressed, keys typed.
"""

from __future__ import annotations

import http.server
import shutil
import threading
from pathlib import Path

import pytest
from websupport import ServerThread, web_only

playwright = pytest.importorskip(
    "playwright.sync_api", reason="pip package playwright not installed"
)
if shutil.which("chromium") is None:
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

expect = playwright.expect
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
WAIT = 15_000  # ms; the machine is shared and slow at times


class HostSite:
    """Another origin (another port): the district website that embeds the chat, and nothing more."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                body = pages.get(self.path, "not found").encode("utf-8")
                self.send_response(200 if self.path in pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def site():
    host = HostSite()
    yield host
    host.server.shutdown()


@pytest.fixture(scope="module")
def chat(holder, tmp_path_factory, site):
    config = web_only(tmp_path_factory.mktemp("webchat"), allowed_origins=[site.origin])
    with ServerThread(config, holder) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        yield b
        b.close()


def _open(browser, chat, device):
    context = browser.new_context(**device, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(chat.url)
    expect(page.locator("#log")).to_contain_text("我能回答河东区2023年20项民心工程的问题")
    return context, page


def _ask(page, text: str) -> None:
    page.fill("#q", text)
    page.press("#q", "Enter")


def _last_bot(page):
    return page.locator("#log li.bot").last


def _axe(page) -> list[str]:
    # Evaluated over the DevTools protocol: the page's own CSP (rightly) refuses inline scripts.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _px(page, selector: str, prop: str) -> float:
    return page.eval_on_selector(selector, f"e => parseFloat(getComputedStyle(e)['{prop}'])")


def test_a_resident_on_a_phone(browser, chat):
    context, page = _open(browser, chat, PHONE)
    try:
        _ask(page, "养老床位有多少张")
        answer = _last_bot(page)
        expect(answer).to_contain_text("【第4项 完善社区养老服务】")
        expect(answer).to_contain_text("建设家庭养老床位406张")
        expect(page.locator("#announce")).to_contain_text("建设家庭养老床位406张")  # live region

        # 查看原文 opens the official paragraph under the answer; pressed again it closes.
        source = answer.get_by_role("button", name="查看原文")
        source.click()
        quote = answer.locator("blockquote")
        expect(quote).to_be_visible()
        expect(quote).to_contain_text("四、完善社区养老服务。推进老年人助餐服务")
        expect(answer.get_by_role("button", name="收起原文")).to_have_attribute(
            "aria-expanded", "true"
        )

        answer.get_by_role("button", name="怎么办").click()  # a follow-up button
        expect(_last_bot(page)).to_contain_text("【第4项 完善社区养老服务】")
        expect(page.locator("#log li.me").last).to_have_text("我怎么办")

        # The category browser, then a numbered choice typed as a number.
        page.get_by_role("button", name="按类别找").click()
        expect(_last_bot(page)).to_contain_text("请选择类别")
        expect(_last_bot(page).get_by_role("button", name="4 养老助老")).to_be_visible()
        _ask(page, "4")
        expect(_last_bot(page)).to_contain_text("【养老助老】共1项：")
        _last_bot(page).get_by_role("button", name="4. 完善社区养老服务").click()
        expect(_last_bot(page)).to_contain_text("建设家庭养老床位406张")

        # Markup in a question is shown as the characters typed; nothing runs, no element appears.
        _ask(page, '<img src=x onerror="window.pwned=1"><b>粗</b>')
        expect(page.locator("#log li.me").last).to_have_text(
            '我<img src=x onerror="window.pwned=1"><b>粗</b>'
        )
        expect(_last_bot(page)).to_contain_text("12345")
        assert page.locator("#log img, #log b").count() == 0
        assert page.evaluate("() => window.pwned") is None

        # 长辈模式: one tap, large type, and still on after a reload, with the conversation.
        assert _px(page, "body", "fontSize") < 20
        page.get_by_role("button", name="长辈模式：关").click()
        assert _px(page, "body", "fontSize") >= 20
        assert _px(page, "body", "lineHeight") / _px(page, "body", "fontSize") >= 1.5
        assert _px(page, "#send", "height") >= 44
        assert _axe(page) == []  # 长辈模式
        page.reload()
        expect(page.get_by_role("button", name="长辈模式：开")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(page.locator("#log")).to_contain_text("养老床位有多少张")
        assert _px(page, "body", "fontSize") >= 20
        for button in page.locator("#log li.bot").last.get_by_role("button").all():
            assert button.bounding_box()["height"] >= 44
        page.get_by_role("button", name="长辈模式：开").click()
        assert _axe(page) == []  # normal mode

        # 删除我的记录: asked once, then everything is gone, also after a reload.
        page.get_by_role("button", name="删除我的记录").click()
        expect(_last_bot(page)).to_contain_text("确定要删除您在这里的全部记录吗？")
        _last_bot(page).get_by_role("button", name="确定删除").click()
        expect(page.locator("#log")).to_have_text(
            "民心通已删除您在民心通的全部数据（订阅、对话记录）。以后仍可随时提问。"
        )
        page.reload()
        expect(page.locator("#log")).not_to_contain_text("养老床位有多少张")
        expect(page.locator("#log")).to_contain_text("已删除您在民心通的全部数据")
    finally:
        context.close()


def test_keyboard_only_on_a_desktop(browser, chat):
    context, page = _open(browser, chat, DESKTOP)
    try:
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == "elder"
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"  # focus is visible
        while page.evaluate("() => document.activeElement.id") != "q":
            page.keyboard.press("Tab")
        page.keyboard.type("租房补贴怎么申请")
        page.keyboard.press("Enter")
        expect(_last_bot(page)).to_contain_text("【第7项")
        for _ in range(5):  # back from the input, past the tool buttons, to the answer's buttons
            page.keyboard.press("Shift+Tab")
            if page.evaluate("() => !!document.activeElement.closest('#log')"):
                break
        name = page.evaluate("() => document.activeElement.textContent")
        assert name == "5没用"  # the answer's last button: the feedback pair closes it
        page.keyboard.press("Enter")
        expect(_last_bot(page)).to_contain_text("抱歉没能帮上忙")
        assert _axe(page) == []
    finally:
        context.close()


def test_a_reload_and_a_wake_up_keep_the_conversation(browser, chat):
    context, page = _open(browser, chat, PHONE)
    try:
        _ask(page, "万东路修好了吗")
        expect(_last_bot(page)).to_contain_text("【第9项 建设城市市政道路】")
        # The same resident asks from a second tab while this one sleeps in the background.
        other = context.new_page()
        other.goto(chat.url)
        expect(other.locator("#log")).to_contain_text("万东路修好了吗")
        _ask(other, "口袋公园建在哪")
        expect(_last_bot(other)).to_contain_text("口袋公园")
        page.evaluate(
            """() => {
                Object.defineProperty(document, 'hidden', {value: false, configurable: true});
                document.dispatchEvent(new Event('visibilitychange'));
            }"""
        )
        expect(page.locator("#log")).to_contain_text("口袋公园建在哪")

        # The cookie is gone (cleared by the phone, say): the next question still gets its answer.
        context.clear_cookies()
        _ask(page, "失业金几月开始涨")
        expect(page.locator("#log li.me").last).to_have_text("我失业金几月开始涨")
        expect(_last_bot(page)).to_contain_text("【第1项")
    finally:
        context.close()


def test_other_sites_may_embed_but_not_post(browser, chat, site):
    site.pages["/"] = (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>区政府</title></head>"
        f"<body><h1>河东区人民政府</h1><script src='{chat.url}/embed.js' defer></script></body></html>"
    )
    site.pages["/evil"] = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><script>"
        f"fetch('{chat.url}/api/message', {{method: 'POST', mode: 'no-cors', credentials: 'include',"
        " headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({text: '伪造的问题'})})"
        ".then(function () { document.title = 'sent'; });</script></body></html>"
    )
    context, page = _open(browser, chat, DESKTOP)
    try:
        host = context.new_page()
        host.set_default_timeout(WAIT)
        host.goto(site.origin + "/")
        host.get_by_role("button", name="问民心通").click()
        frame = host.frame_locator("iframe[title='民心通问答']")
        expect(frame.locator("#log")).to_contain_text("我能回答河东区2023年20项民心工程的问题")

        host.goto(site.origin + "/evil")  # same browser, so the chat cookie goes along
        expect(host).to_have_title("sent")
        page.reload()
        expect(page.locator("#log")).to_contain_text("我能回答")
        assert "伪造的问题" not in page.locator("#log").inner_text()
    finally:
        context.close()
