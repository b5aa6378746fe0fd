"""Import every domain module so its tables and migrations are registered, in order."""

from bot.storage import subscriptions  # noqa: F401
from bot.storage import wechat  # noqa: F401
from bot.storage import audit, broadcast, progress  # noqa: F401  (0200_… admin issue)
from bot.storage import qlog  # noqa: F401  (0300_question_log, staff issue)
