"""`wechat menu [--upload]`: the Official Account's custom menu from the KB's categories."""

from __future__ import annotations

import json
import os
import sys

from bot.cli.common import config_of, holder_of


def register(sub) -> None:
    p = sub.add_parser("wechat", help="WeChat Official Account tools")
    wx_sub = p.add_subparsers(dest="wechat_command", metavar="WECHAT_COMMAND", required=True)
    m = wx_sub.add_parser("menu", help="print the custom-menu JSON; --upload sends it to WeChat")
    m.add_argument("--upload", action="store_true", help="upload with wechat.app_id and secret")
    m.add_argument(
        "--api-base-url",
        help="WeChat API base (default https://api.weixin.qq.com/cgi-bin/; a proxy or a test server)",
    )
    m.set_defaults(func=run_menu)


def run_menu(args) -> int:
    from bot.channels.wechat.menu import build_menu, problems, upload_menu

    config = config_of(args)
    menu = build_menu(holder_of(args, config).kb)
    print(json.dumps(menu, ensure_ascii=False, indent=2))
    bad = problems(menu)
    for p in bad:
        print(f"menu problem: {p}", file=sys.stderr)
    if bad:
        return 1
    if not args.upload:
        return 0
    wx = config.wechat
    secret = (wx.app_secret if wx else None) or os.environ.get("WECHAT_APP_SECRET")
    if wx is None or not secret:
        print(
            "上传需要配置 wechat.app_id 和 wechat.app_secret（或环境变量 WECHAT_APP_SECRET）。",
            file=sys.stderr,
        )
        return 2
    try:
        upload_menu(menu, wx.app_id, secret, args.api_base_url)
    except Exception as e:  # WeChat's refusal (errcode) or the network: say which, no traceback
        detail = getattr(e, "errmsg", None) or type(e).__name__
        code = getattr(e, "errcode", None)
        print(f"菜单上传失败 upload failed: {code or ''} {detail}".strip(), file=sys.stderr)
        return 1
    print("菜单已上传 menu uploaded.", file=sys.stderr)
    return 0
