"""replearn_core.runs.signin without Streamlit: the role an identity provider's claims make, the settings, the
client behind a proxy, the codes' form, the CSV for printing, the growing waits."""

import pytest

from replearn_core.runs.access import User
from replearn_core.runs.signin import (
    PER_NAME,
    SignIns,
    SignInSettings,
    client_of,
    codes_csv,
    new_code,
    normalise_code,
    user_from_claims,
)

SETTINGS = SignInSettings(teacher_emails=frozenset({"ms.li@school.example"}), teacher_group="staff")


def test_the_teacher_is_named_by_a_verified_email_or_the_teacher_group():
    assert user_from_claims({"email": "Ms.Li@School.example", "email_verified": True}, SETTINGS) == \
        User("ms.li@school.example", "teacher")
    assert user_from_claims({"email": "kim@school.example", "groups": ["students", "staff"]}, SETTINGS).role == \
        "teacher"
    assert user_from_claims({"email": "kim@school.example", "groups": "staff"}, SETTINGS).role == "teacher"
    assert user_from_claims({"email": "kim@school.example", "groups": ["staff-room"]}, SETTINGS) == \
        User("kim@school.example")


def test_a_student_is_their_account_and_an_unverified_email_is_nobody():
    assert user_from_claims({"email": "kim@school.example"}, SETTINGS) == User("kim@school.example", "student")
    with pytest.raises(ValueError, match="not verified"):  # someone who registered the teacher's address
        user_from_claims({"email": "ms.li@school.example", "email_verified": False}, SETTINGS)
    with pytest.raises(ValueError, match="gave no 'email'"):
        user_from_claims({"sub": "123"}, SETTINGS)
    with pytest.raises(ValueError, match="cannot name a student"):
        user_from_claims({"email": "<script>@x"}, SETTINGS)


def test_another_claim_can_name_students_and_another_claim_list_groups():
    settings = SignInSettings.from_env({"REPLEARN_NAME_CLAIM": "preferred_username",
                                        "REPLEARN_GROUPS_CLAIM": "roles", "REPLEARN_TEACHER_GROUP": "Teacher"})
    assert user_from_claims({"preferred_username": "kim.lee", "email": "k@x.example"}, settings) == User("kim.lee")
    assert user_from_claims({"preferred_username": "li", "roles": ["Teacher"]}, settings).role == "teacher"
    # the teacher's e-mail still needs the provider's word that it is hers
    settings = SignInSettings.from_env({"REPLEARN_NAME_CLAIM": "preferred_username",
                                        "REPLEARN_TEACHER_EMAILS": "li@x.example"})
    assert user_from_claims({"preferred_username": "li", "email": "li@x.example"}, settings).role == "teacher"
    assert user_from_claims({"preferred_username": "li", "email": "li@x.example", "email_verified": False},
                            settings).role == "student"


def test_settings_from_the_environment():
    settings = SignInSettings.from_env({"REPLEARN_TEACHER_EMAILS": "A@x.example; b@x.example c@x.example",
                                        "REPLEARN_SESSION_HOURS": "1.5", "REPLEARN_TRUST_PROXY": "1"})
    assert settings.teacher_emails == {"a@x.example", "b@x.example", "c@x.example"}
    assert settings.session_s == 5400 and settings.trust_proxy
    assert SignInSettings.from_env({}).session_hours == 8
    for bad in ("0", "-1", "nan", "inf", "eight"):
        with pytest.raises(ValueError, match="REPLEARN_SESSION_HOURS"):
            SignInSettings.from_env({"REPLEARN_SESSION_HOURS": bad})


def test_the_client_is_the_connection_unless_a_trusted_proxy_says_otherwise():
    assert client_of("10.0.0.5", "1.2.3.4") == "10.0.0.5"  # a header the client wrote is not believed
    assert client_of("127.0.0.1", "6.6.6.6, 10.0.0.5", trust_proxy=True) == "10.0.0.5"
    assert client_of(None) == "local"


def test_codes_are_unguessable_and_read_as_typed():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200 and all(len(normalise_code(c)) == 12 for c in codes)
    assert not any(ch in "01ILO" for c in codes for ch in normalise_code(c))
    assert normalise_code(" abcd-efgh jkmn ") == "ABCDEFGHJKMN"


def test_the_csv_for_printing_cannot_carry_a_spreadsheet_formula():
    text = codes_csv({"-2+3": "AAAA-BBBB-CCCC", "ana": "DDDD-EEEE-FFFF"}).decode("utf-8-sig")
    assert text.splitlines() == ["name,code", "'-2+3,AAAA-BBBB-CCCC", "ana,DDDD-EEEE-FFFF"]


def test_waits_double_then_lock():
    waits = [PER_NAME.wait_after(n) for n in range(12)]
    assert waits[:3] == [0, 0, 0] and waits[3:6] == [2, 4, 8]
    assert all(a <= b for a, b in zip(waits, waits[1:])) and waits[10] == waits[11] == 15 * 60


def test_the_database_is_made_on_first_use_not_before(tmp_path):
    root = tmp_path / "data"
    signins = SignIns(root)
    assert not root.exists()
    assert signins.user_of("x" * 43) is None and (root / "signin.sqlite").is_file()
