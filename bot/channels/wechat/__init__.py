"""WeChat official-account channel (wechatpy + aiohttp): the only package that imports wechatpy."""
