"""Web chat channel: a page residents open from a link, a QR code or an iframe, served by the
shared aiohttp server. Settings live in `settings`; `channel.setup` adds the routes."""
