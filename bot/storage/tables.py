"""Import every domain module so its tables and migrations are registered, in order."""

# ruff: noqa: I001  (import order is migration order: 0001, 0100, 0200, 0300, 0320)

from bot.storage import subscriptions  # noqa: F401
from bot.storage import wechat  # noqa: F401
from bot.storage import audit, broadcast, progress  # noqa: F401  (0200_… admin issue)
from bot.storage import qlog  # noqa: F401  (0300_question_log, staff issue)
from bot.storage import feedback  # noqa: F401  (0320_feedback_suggestions, staff issue 17)
