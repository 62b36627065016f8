import asyncio

from faust.types import TP, Message

from stream_processors.inbox import Inbox


def message(partition: int, offset: int) -> Message:
    return Message("t", partition, offset, 0.0, 0, [], b"k", b"v", None)  # type: ignore[arg-type]


def offsets(messages: list[Message]) -> list[tuple[int, int]]:
    return [(m.partition, m.offset) for m in messages]


def test_take_returns_everything_pending_up_to_the_size_without_waiting_for_more() -> None:
    async def scenario() -> tuple[list[Message], list[Message]]:
        inbox = Inbox(capacity=100)
        await inbox.put([message(0, i) for i in range(3)])
        await inbox.put([message(1, 0)])
        return await inbox.take(2), await inbox.take(10)

    first, rest = asyncio.run(scenario())
    assert offsets(first) == [(0, 0), (0, 1)]
    assert offsets(rest) == [(0, 2), (1, 0)]


def test_take_waits_for_the_first_message() -> None:
    async def scenario() -> list[Message]:
        inbox = Inbox(capacity=10)
        taking = asyncio.ensure_future(inbox.take(5))
        await asyncio.sleep(0)
        assert not taking.done()
        await inbox.put([message(0, 7)])
        return await asyncio.wait_for(taking, 5)

    assert offsets(asyncio.run(scenario())) == [(0, 7)]


def test_put_waits_while_full_and_resumes_once_taken() -> None:
    async def scenario() -> int:
        inbox = Inbox(capacity=2)
        await inbox.put([message(0, 0), message(0, 1)])
        putting = asyncio.ensure_future(inbox.put([message(0, 2)]))
        await asyncio.sleep(0)
        assert not putting.done()
        await inbox.take(1)
        await asyncio.wait_for(putting, 5)
        return len(inbox)

    assert asyncio.run(scenario()) == 2


def test_revoked_partitions_are_dropped_and_the_rest_kept_in_order() -> None:
    async def scenario() -> tuple[int, list[Message]]:
        inbox = Inbox(capacity=10)
        await inbox.put([message(0, 0), message(1, 0), message(0, 1), message(2, 0)])
        dropped = inbox.drop({TP("t", 0)})
        return dropped, await inbox.take(10)

    dropped, kept = asyncio.run(scenario())
    assert dropped == 2
    assert offsets(kept) == [(1, 0), (2, 0)]
