"""The fixed vocabulary of the synthetic learning platform: subjects, models, zones, sources."""

from __future__ import annotations

from dataclasses import dataclass

SUBJECTS: tuple[str, ...] = (
    "math",
    "physics",
    "chemistry",
    "biology",
    "history",
    "literature",
    "cs",
    "languages",
    "geography",
    "economics",
)


@dataclass(frozen=True, slots=True)
class LlmModel:
    """A model the tutor calls, with list prices in USD per 1k tokens."""

    name: str
    provider: str
    prompt_per_1k: float
    completion_per_1k: float
    ms_per_token: float
    weight: float


LLM_MODELS: tuple[LlmModel, ...] = (
    LlmModel("gpt-4o-mini", "openai", 0.00015, 0.0006, 8.0, 0.35),
    LlmModel("gpt-4o", "openai", 0.0025, 0.01, 18.0, 0.15),
    LlmModel("claude-3-5-haiku", "anthropic", 0.0008, 0.004, 10.0, 0.2),
    LlmModel("claude-3-5-sonnet", "anthropic", 0.003, 0.015, 20.0, 0.12),
    LlmModel("gemini-1.5-flash", "google", 0.000075, 0.0003, 6.0, 0.13),
    LlmModel("llama-3.1-70b-instruct", "meta", 0.00088, 0.00088, 14.0, 0.05),
)

STUDENT_LLM_FEATURES: tuple[str, ...] = ("tutor_chat", "hint", "explain_solution")
TEACHER_LLM_FEATURES: tuple[str, ...] = ("grading_assist", "quiz_generation", "summarize")

# UTC offsets in minutes and how many users live there (relative weights).
TIME_ZONES: tuple[tuple[int, float], ...] = (
    (0, 0.12),
    (60, 0.16),
    (120, 0.08),
    (180, 0.05),
    (330, 0.12),
    (480, 0.1),
    (540, 0.05),
    (600, 0.04),
    (-180, 0.08),
    (-300, 0.12),
    (-480, 0.08),
)

# Relative activity by local hour (0..23): quiet nights, school day, evening homework.
STUDENT_ACTIVITY: tuple[float, ...] = (
    0.15, 0.08, 0.04, 0.02, 0.02, 0.03, 0.08, 0.3, 0.6, 0.8, 0.9, 0.85,
    0.7, 0.75, 0.9, 1.0, 1.0, 0.95, 0.9, 1.0, 1.0, 0.85, 0.6, 0.3,
)  # fmt: skip
TEACHER_ACTIVITY: tuple[float, ...] = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.1, 0.5, 0.9, 1.0, 1.0, 0.9,
    0.7, 0.9, 1.0, 0.9, 0.7, 0.5, 0.4, 0.35, 0.3, 0.2, 0.1, 0.05,
)  # fmt: skip

SOURCES: tuple[str, ...] = ("web", "web", "web", "ios", "android", "lms-plugin")

# Custom events: well-formed names outside the contract's known list, metadata free-form.
VIDEO_PLAYED = "video.played"
QUIZ_ANSWERED = "quiz.answered"
PAGE_VIEWED = "page.viewed"
GRADE_POSTED = "grade.posted"

# Names that break the contract's pattern, for invalid events.
BAD_EVENT_NAMES: tuple[str, ...] = (
    "Assignment.Viewed",
    "login",
    "assignment..viewed",
    "9lives.event",
    "video played",
    "assignment.viewed.",
    "user-login.now",
)
