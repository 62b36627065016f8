"""Who uses the platform: students and teachers in time zones, courses, subjects, assignments."""

from __future__ import annotations

import random
from dataclasses import dataclass

from pulse.workload.catalog import SUBJECTS, TIME_ZONES


@dataclass(frozen=True, slots=True)
class Assignment:
    assignment_id: str
    course_id: str
    subject: str


@dataclass(frozen=True, slots=True)
class Course:
    course_id: str
    subject: str
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True, slots=True)
class User:
    """One user; ``offset_min`` is the UTC offset of the user's clock in minutes."""

    user_id: str
    role: str
    offset_min: int
    courses: tuple[Course, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Population:
    """Users grouped by (role, offset), so traffic can follow each zone's local day."""

    users: tuple[User, ...]
    courses: tuple[Course, ...]
    groups: dict[tuple[str, int], tuple[User, ...]]


def _courses(rng: random.Random, count: int) -> tuple[Course, ...]:
    courses = []
    for c in range(count):
        subject = SUBJECTS[c % len(SUBJECTS)] if c < len(SUBJECTS) else rng.choice(SUBJECTS)
        course_id = f"course-{c + 1}"
        assignments = tuple(
            Assignment(f"hw-{c + 1}-{k + 1}", course_id, subject) for k in range(rng.randint(6, 16))
        )
        courses.append(Course(course_id, subject, assignments))
    return tuple(courses)


def build_population(
    rng: random.Random, users: int, teacher_fraction: float, sources: tuple[str, ...]
) -> Population:
    """Users, each in a time zone, enrolled in (students) or teaching (teachers) a few courses."""
    courses = _courses(rng, max(len(SUBJECTS), users // 40))
    teachers = round(users * teacher_fraction)
    offsets = [tz for tz, _ in TIME_ZONES]
    weights = [w for _, w in TIME_ZONES]
    people = []
    for i in range(users):
        is_teacher = i < teachers
        role = "teacher" if is_teacher else "student"
        number = i + 1 if is_teacher else i - teachers + 1
        picked = rng.sample(courses, k=min(len(courses), rng.randint(1, 2 if is_teacher else 4)))
        people.append(
            User(
                user_id=f"{role}-{number}",
                role=role,
                offset_min=rng.choices(offsets, weights)[0],
                courses=tuple(picked),
                source=rng.choice(sources),
            )
        )
    groups: dict[tuple[str, int], list[User]] = {}
    for user in people:
        groups.setdefault((user.role, user.offset_min), []).append(user)
    return Population(
        users=tuple(people),
        courses=courses,
        groups={key: tuple(members) for key, members in sorted(groups.items())},
    )
