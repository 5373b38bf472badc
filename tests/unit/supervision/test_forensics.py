import dataclasses

from ledger_service.supervision.forensics import (
    identical_documents,
    near_duplicates,
    shared_identifiers,
    shared_party_details,
    submission_timing,
)
from ledger_service.supervision.signals import Bond, Party
from ledger_service.supervision.similarity import resemblance, shingles, sketch_text
from tests.unit.supervision.build import DEADLINE, honest, sha, submission

TEXT = ("本工程为某市道路改造工程，投标人承诺按照招标文件要求组织施工，工期一百二十日历天，"
        "质量标准为合格，项目经理具有一级建造师资格，施工组织设计包括土方开挖、路基处理、"
        "管网铺设、沥青面层摊铺及交通疏导方案，安全文明施工措施费按规定计取。") * 3  # fmt: skip
OTHER = ("我公司针对本项目编制了专门的技术方案：采用分段流水作业，配备摊铺机两台、压路机四台，"
         "设立质量检查小组，每道工序经监理验收后方可进入下一道工序，雨季施工另行制定排水预案。") * 3  # fmt: skip


def _with(t, **changes):
    return dataclasses.replace(t, **changes)


def test_an_honest_tender_shares_no_identifier() -> None:
    t = honest()
    assert shared_identifiers(t) == []
    assert identical_documents(t) == []
    assert submission_timing(t) == []


def test_a_shared_dongle_names_both_bidders_and_their_evidence() -> None:
    t = honest()
    subs = list(t.submissions)
    subs[2] = submission("F2", subs[2].at, subs[2].ip, dongle_serials=("GLD-F0",))
    [hit] = shared_identifiers(_with(t, submissions=tuple(subs)))
    assert (hit.rule, hit.parties, hit.detail["identifier"]) == (
        "shared_dongle",
        ("F0", "F2"),
        "GLD-F0",
    )
    assert hit.refs == ("ref:sub:F0", "ref:sub:F2")
    assert (
        hit.zh.startswith("2家投标人（F0、F2）的造价软件加密锁序列号相同")
        and "不是串标的证明" in hit.zh
    )


def test_a_generic_author_is_not_a_shared_identifier() -> None:
    t = honest()
    subs = tuple(submission(s.bidder, s.at, s.ip, author="Administrator") for s in t.submissions)
    assert shared_identifiers(_with(t, submissions=subs)) == []


def test_each_kind_of_shared_identifier_is_its_own_rule() -> None:
    t = honest()
    subs = list(t.submissions)
    subs[1] = submission(
        "F1",
        subs[1].at,
        subs[0].ip,
        author="F0 工程部",
        creation_id=subs[0].documents[0].creation_id,
    )
    bonds = (
        Bond("F0", "6222000011112222", "ref:bond:F0"),
        Bond("F1", "6222000011112222", "ref:bond:F1"),
    )
    rules = sorted(
        h.rule for h in shared_identifiers(_with(t, submissions=tuple(subs), bonds=bonds))
    )
    assert rules == ["shared_author", "shared_bond_account", "shared_creation_id", "shared_ip"]


def test_identical_files_by_digest() -> None:
    t = honest()
    subs = list(t.submissions)
    subs[3] = submission("F3", subs[3].at, subs[3].ip, sha256=sha("file F1"))
    [hit] = identical_documents(_with(t, submissions=tuple(subs)))
    assert hit.parties == ("F1", "F3") and hit.detail["identifier"] == sha("file F1")


def test_resemblance_of_texts_is_high_for_an_edited_copy_and_low_for_another_text() -> None:
    edited = TEXT.replace("一百二十", "一百一十").replace("两台", "三台")
    assert resemblance(sketch_text(TEXT), sketch_text(edited)) >= 0.8
    assert resemblance(sketch_text(TEXT), sketch_text(OTHER)) < 0.1
    assert resemblance((), ()) == 0.0
    assert shingles("ab c", 2) == {"ab", "bc"} and shingles("", 5) == set()


def test_near_duplicates_hit_an_edited_copy_not_independent_texts() -> None:
    t = honest(n=3)
    texts = [TEXT, TEXT.replace("一百二十", "九十"), OTHER]
    subs = tuple(
        submission(s.bidder, s.at, s.ip, sketch=sketch_text(x))
        for s, x in zip(t.submissions, texts, strict=True)
    )
    [hit] = near_duplicates(_with(t, submissions=subs))
    assert hit.parties == ("F0", "F1") and float(hit.detail["resemblance"]) >= 0.8


def test_uploads_seconds_apart_from_one_network() -> None:
    t = honest()
    subs = list(t.submissions)
    subs[0] = submission("F0", DEADLINE - 500, "10.9.9.1")
    subs[1] = submission("F1", DEADLINE - 440, "10.9.9.77")
    [hit] = submission_timing(_with(t, submissions=tuple(subs)))
    assert hit.parties == ("F0", "F1") and hit.detail["network"] == "10.9.9.0/24"


def test_a_last_minute_rush_from_different_networks_is_not_a_timing_hit() -> None:
    t = honest()
    subs = tuple(
        submission(s.bidder, DEADLINE - 60 - i, f"10.{i}.0.1") for i, s in enumerate(t.submissions)
    )
    assert submission_timing(_with(t, submissions=subs)) == []


def test_r044_shared_contact_after_normalising_spaces() -> None:
    parties = (Party("F0", "ref:p0", address="A路1号", contact="138 0000 0000"),
               Party("F1", "ref:p1", address="B路2号", contact="13800000000"),
               Party("F2", "ref:p2", address="C路3号", contact="13900000000"))  # fmt: skip
    [hit] = shared_party_details(_with(honest(), parties=parties))
    assert (hit.rule, hit.parties, hit.detail["field"]) == ("R044", ("F0", "F1"), "contact")
    assert shared_party_details(_with(honest(), parties=parties[::2])) == []
