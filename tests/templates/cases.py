"""Differential test cases: each is rendered by Django and by the guest.

A case is (name, template, context, extra templates). Add a case for every
bug found.
"""

import datetime
import decimal
import zoneinfo

from django.utils.safestring import mark_safe

D = decimal.Decimal
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
CASES = []


def case(name, template, context=None, templates=None):
    CASES.append((name, template, context or {}, templates or {}))


class Person:
    def __init__(self, name, age):
        self.name = name
        self.age = age

    def __str__(self):
        return f"{self.name} ({self.age})"


VALUES = {
    "none": None,
    "true": True,
    "false": False,
    "zero": 0,
    "one": 1,
    "neg": -42,
    "big": 2**70,
    "bigneg": -(2**65) - 3,
    "float1": 1.0,
    "float_tenth": 0.1,
    "float_third": 1 / 3,
    "float_big": 1e16,
    "float_huge": 1.5e300,
    "float_tiny": 1.5e-7,
    "float_neg": -2.5,
    "float_nan": float("nan"),
    "float_inf": float("inf"),
    "empty": "",
    "text": "Hello, World",
    "html": "<b>Tom & \"Jerry's\"</b>",
    "safe": mark_safe("<i>safe & sound</i>"),
    "unicode": "héllo wörld ✓ 🎉",
    "spaces": "  padded\ttext\n",
    "multiline": "line one\nline two\r\n\nline four",
    "numeric_str": "12.5",
    "list": [1, "two", None, 3.5, True],
    "empty_list": [],
    "nested": [["a", "b"], ("c",), {"k": "v"}],
    "tuple": (1, "a"),
    "single_tuple": ("x",),
    "dict": {"a": 1, "b": [1, 2], "c": {"d": None}},
    "int_keys": {1: "one", 2: "two"},
    "dollar_keys": {"$x": 1},
    "decimal": D("1.50"),
    "decimal_exp": D("1E+2"),
    "decimal_small": D("-0.000001"),
    "decimal_neg_zero": D("-0"),
    "date": datetime.date(2026, 3, 1),
    "datetime": datetime.datetime(2026, 11, 30, 14, 5, 9, 123456),
    "datetime_midnight": datetime.datetime(2026, 1, 1, 0, 0),
    "datetime_noon": datetime.datetime(2026, 1, 1, 12, 0),
    "aware": datetime.datetime(2026, 7, 14, 9, 30, tzinfo=PARIS),
    "utc": datetime.datetime(2026, 7, 14, 9, 30, tzinfo=datetime.timezone.utc),
    "time": datetime.time(13, 45, 30),
    "time_micro": datetime.time(0, 0, 1, 500),
    "person": Person("Ada", 36),
}

# Every value, printed, in an attribute, and tested for truth.
for key, value in VALUES.items():
    ctx = {"v": value}
    case(f"value/{key}/text", "[{{ v }}]", ctx)
    case(f"value/{key}/attr", '<a title="{{ v }}">x</a>', ctx)
    case(f"value/{key}/truth", "{% if v %}T{% else %}F{% endif %}{% if not v %}n{% endif %}", ctx)

# Filters that take no argument, on a spread of inputs.
NO_ARG = [
    "addslashes", "capfirst", "escape", "escapejs", "escapeseq", "filesizeformat", "first", "floatformat",
    "force_escape", "iriencode", "last", "length", "linebreaks", "linebreaksbr", "linenumbers", "lower",
    "make_list", "phone2numeric", "pluralize", "safe", "safeseq", "slugify", "striptags", "title",
    "unordered_list", "upper", "urlencode", "urlize", "wordcount", "yesno", "json_script", "pprint", "date", "time",
]
FILTER_INPUTS = [
    "none", "true", "zero", "one", "neg", "big", "float_third", "float_neg", "empty", "text", "html", "safe",
    "unicode", "multiline", "numeric_str", "list", "empty_list", "nested", "dict", "decimal", "date", "datetime",
    "time", "tuple",
]
for f in NO_ARG:
    for key in FILTER_INPUTS:
        case(f"filter/{f}/{key}", "{{ v|%s }}" % f, {"v": VALUES[key]})

# Filters with arguments.
WITH_ARG = [
    ("add", ["2", "'x'", "-1.5", "v2"]),
    ("center", ["15", "'3'"]),
    ("ljust", ["12"]),
    ("rjust", ["12"]),
    ("cut", ["' '", "'l'"]),
    ("date", ["'Y-m-d H:i'", "'D, d M Y'", "'jS F Y'", "'N j, Y, P'", "'c'", "'r'", "'U'", "'SHORT_DATE_FORMAT'", "'e O T Z I'", r"'\\Y\\m y'"]),
    ("time", ["'H:i:s.u'", "'g:i a'", "'f A'", "'P'", "'TIME_FORMAT'"]),
    ("default", ["'dflt'", "0"]),
    ("default_if_none", ["'nothing'"]),
    ("divisibleby", ["3", "'2'"]),
    ("floatformat", ["0", "2", "-2", "'3g'", "'-2u'", "'bad'"]),
    ("get_digit", ["1", "2", "9", "0"]),
    ("join", ["', '", "'<br>'"]),
    ("pluralize", ["'es'", "'y,ies'", "'a,b,c'"]),
    ("slice", ["':2'", "'1:'", "'::-1'", "'-2:'", "'1:4:2'", "'x'"]),
    ("stringformat", ["'s'", "'r'", "'05d'", "'.2f'", "'x'", "'10s|'", "'-8.3e'", "'+d'"]),
    ("truncatechars", ["5", "1", "0", "50"]),
    ("truncatewords", ["2", "0", "20"]),
    ("wordwrap", ["5", "20"]),
    ("yesno", ["'yeah,no'", "'yeah,no,maybe'", "'one'"]),
    ("urlencode", ["''", "'/:'"]),
    ("urlizetrunc", ["10"]),
    ("json_script", ["'my-id'", "'<id>'"]),
]
ARG_INPUTS = ["none", "zero", "one", "neg", "float_third", "empty", "text", "html", "safe", "unicode", "numeric_str", "list", "decimal", "date", "datetime", "time"]
for f, args in WITH_ARG:
    for arg in args:
        for key in ARG_INPUTS:
            case(f"filter/{f}:{arg}/{key}", "{{ v|%s:%s }}" % (f, arg), {"v": VALUES[key], "v2": 10})

# Filter specifics.
case("floatformat/table", "{% for n in ns %}{{ n|floatformat }} {{ n|floatformat:3 }} {{ n|floatformat:-3 }} {{ n|floatformat:'2g' }}|{% endfor %}",
     {"ns": [34.23234, 34.0, 34.26, 0.0, -0.0, -1.5, 2.675, 1234567.891, 1e-10, 123456789012345678.0, 0.5, 1.005, D("9.999"), D("-0.0004"), "7.125", "abc", 10**20]})
case("floatformat/arg-from-var", "{{ 3.14159|floatformat:p }}", {"p": 2})
case("filesize/steps", "{% for n in ns %}{{ n|filesizeformat }};{% endfor %}", {"ns": [0, 1, 1023, 1024, 1536, 10**6, 10**9, 10**12, 10**15, 10**18, -2048, "123", 1.9]})
case("pluralize/counts", "{% for n in ns %}vote{{ n|pluralize }} cand{{ n|pluralize:'y,ies' }};{% endfor %}", {"ns": [0, 1, 2, "1", "2", 1.0, [1], [1, 2], D("1")]})
case("dictsort/basic", "{% for p in people|dictsort:'age' %}{{ p.name }}{% endfor %}", {"people": [{"name": "a", "age": 30}, {"name": "b", "age": 20}, {"name": "c", "age": 25}]})
case("dictsort/reversed", "{% for p in people|dictsortreversed:'name' %}{{ p.name }}{% endfor %}", {"people": [{"name": "a"}, {"name": "c"}, {"name": "b"}]})
case("dictsort/nested-key", "{{ rows|dictsort:'x.y' }}", {"rows": [{"x": {"y": 2}}, {"x": {"y": 1}}]})
case("dictsort/index", "{{ rows|dictsort:0 }}", {"rows": [(2, "b"), (1, "a")]})
case("dictsort/missing", "[{{ rows|dictsort:'nope' }}]", {"rows": [{"a": 1}]})
case("dictsort/mixed-types", "[{{ rows|dictsort:'a' }}]", {"rows": [{"a": 1}, {"a": "x"}]})
case("dictsort/private", "[{{ rows|dictsort:'_a' }}]", {"rows": [{"_a": 1}]})
case("join/autoescape-off", "{% autoescape off %}{{ xs|join:'<br>' }}{% endautoescape %}", {"xs": ["<a>", "b"]})
case("join/safe-items", "{{ xs|join:sep }}", {"xs": [mark_safe("<a>"), "<b>"], "sep": "&"})
case("unordered_list/nested", "{{ xs|unordered_list }}", {"xs": ["States", ["Kansas", ["Lawrence", "Topeka"], "Illinois"]]})
case("unordered_list/escaping", "{{ xs|unordered_list }}{% autoescape off %}{{ xs|unordered_list }}{% endautoescape %}", {"xs": ["<b>", ["a&b"]]})
case("linebreaks/safe", "{{ s|linebreaks }}|{{ s|linebreaksbr }}", {"s": mark_safe("<b>a</b>\n\nb\nc")})
case("linebreaks/autoescape-off", "{% autoescape off %}{{ s|linebreaks }}{% endautoescape %}", {"s": "<b>a</b>\r\nb"})
case("linenumbers/many", "{{ s|linenumbers }}", {"s": "\n".join("l<%d>" % i for i in range(12))})
case("escape/double", "{{ s|escape|escape }} {{ s|force_escape|force_escape }}", {"s": "<&>"})
case("escape/safe-then-escape", "{{ s|safe|escape }} {{ s|escape|safe }}", {"s": "<&>"})
case("escape/autoescape-off", "{% autoescape off %}{{ s }} {{ s|escape }}{% endautoescape %}", {"s": "<&>"})
case("truncatechars_html/basic", "{{ s|truncatechars_html:9 }}", {"s": "<p>one <b>two three</b> four</p>"})
case("truncatechars_html/exact", "{{ s|truncatechars_html:13 }}", {"s": "<p>one <b>two three</b></p>"})
case("truncatewords_html/basic", "{{ s|truncatewords_html:2 }}|{{ s|truncatewords_html:3 }}|{{ s|truncatewords_html:9 }}", {"s": "<p>one <b>two three</b> four</p>"})
case("truncatewords_html/void", "{{ s|truncatewords_html:2 }}", {"s": "<p>one<br>two <img src='x'/> three</p>"})
case("striptags/mixed", "{{ s|striptags }}", {"s": "<p>Joel <button>is</button> a <span>slug</span></p> &amp; <!-- x --> 1 < 2"})
case("urlize/various", "{{ s|urlize }}", {"s": "Visit https://example.com/a?b=c&d=e, www.x.org. or mail me@example.com (see http://foo.com/bar)."})
case("urlize/safe", "{{ s|urlize }}", {"s": mark_safe("<b>see</b> http://x.com")})
case("urlizetrunc/basic", "{{ s|urlizetrunc:15 }}", {"s": "http://www.example.com/a/very/long/path"})
case("slugify/various", "{% for s in ss %}{{ s|slugify }};{% endfor %}", {"ss": ["Hello World", " Jack & Jill like numbers 1,2,3 and 4 and silly characters ?%.$!/", "Un éléphant à l'orée du bois", "__x--y__", "ŒŸ"]})
case("title/various", "{% for s in ss %}{{ s|title }};{% endfor %}", {"ss": ["joel is a slug", "they're bill's friends from the UK", "1st 2nd", "hello WORLD", "o'neil"]})
case("capfirst/various", "{% for s in ss %}{{ s|capfirst }};{% endfor %}", {"ss": ["hello", "", "ßx", "1a"]})
case("wordwrap/long", "{{ s|wordwrap:10 }}", {"s": "Lorem ipsum dolor sit amet, consectetur adipisicing elit.\nSecond   line with  spaces\n\nA supercalifragilistic word"})
case("wordcount/various", "{{ a|wordcount }} {{ b|wordcount }}", {"a": "  one two\tthree\n", "b": ""})
case("phone2numeric/basic", "{{ s|phone2numeric }}", {"s": "0800 flowers"})
case("make_list/int", "{{ n|make_list }}", {"n": 123})
case("random/single", "{{ xs|random }}", {"xs": ["only"]})
case("random/empty", "[{{ xs|random }}]", {"xs": []})
case("add/types", "{{ 1|add:2 }} {{ '1'|add:'2' }} {{ 'a'|add:'b' }} {{ xs|add:ys }} {{ 1.5|add:1 }} {{ 'x'|add:1 }} {{ n|add:big }}", {"xs": [1], "ys": [2], "n": 2**63 - 1, "big": 2**63})
case("add/safe", "{{ a|add:b }}", {"a": mark_safe("<i>"), "b": mark_safe("</i>")})
case("default/chain", "{{ missing|default:'x'|upper }} {{ none|default_if_none:'n' }} {{ zero|default_if_none:'n' }}", {"none": None, "zero": 0})
case("length/various", "{{ s|length }} {{ d|length }} {{ n|length }} {{ missing|length }}", {"s": "héllo", "d": {"a": 1}, "n": 5})
case("get_digit/str", "{{ '123'|get_digit:1 }} {{ 'abc'|get_digit:1 }}")
case("escapejs/all", "{{ s|escapejs }}", {"s": "\\'\"<>&=-;`\u2028\u2029\x01\n\tü"})
case("iriencode/various", "{{ s|iriencode }}", {"s": "/blog/for/Jürgen Münster/?q=a b&x=[1]#frag"})
case("urlencode/various", "{{ s|urlencode }} {{ s|urlencode:'' }}", {"s": "https://www.example.org/foo?a=b&c=d é"})
case("json_script/types", "{{ v|json_script }}", {"v": {"a": [1, 2.5, None, True], "b": "</script><x>&", "c": "é", "d": D("1.5"), "e": datetime.datetime(2026, 1, 2, 3, 4, 5, 678900), "f": (1,), "g": datetime.date(2026, 1, 2), "h": datetime.time(1, 2, 3, 4000)}})
case("pprint/dict-order", "{{ v|pprint }}", {"v": {"b": 1, "a": [3, {"z": 1, "y": 2}]}})
case("timesince/with-arg", "{{ a|timesince:b }}|{{ b|timesince:a }}|{{ a|timeuntil:b }}|{{ b|timeuntil:a }}", {"a": datetime.datetime(2020, 1, 31, 10, 0), "b": datetime.datetime(2026, 3, 1, 9, 59)})
case("timesince/units", "{% for d in ds %}{{ d|timesince:now }};{% endfor %}", {"now": datetime.datetime(2026, 1, 1, 12, 0), "ds": [datetime.datetime(2026, 1, 1, 11, 59, 30), datetime.datetime(2026, 1, 1, 11, 0), datetime.datetime(2025, 12, 25, 12, 0), datetime.datetime(2025, 12, 31, 12, 0), datetime.datetime(2025, 1, 1), datetime.date(2025, 6, 1), datetime.datetime(2024, 2, 29, 12, 0)]})
case("timesince/aware", "{{ a|timesince:b }}", {"a": datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc), "b": datetime.datetime(2026, 1, 2, 3, 0, tzinfo=PARIS)})
case("timesince/mixed", "[{{ a|timesince:b }}]", {"a": datetime.datetime(2026, 1, 1), "b": datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)})
case("date/aware", "{{ d|date:'Y-m-d H:i e O T Z c' }}|{{ u|date:'c e T' }}", {"d": VALUES["aware"], "u": VALUES["utc"]})
case("date/every-char", "{{ d|date:'a A b c d D e E f F g G h H i I j l L m M n N o O P r s S t T u U w W y Y z Z' }}", {"d": datetime.datetime(2024, 2, 29, 23, 5, 7, 89)})
case("date/weeks", "{% for d in ds %}{{ d|date:'o-W w z' }};{% endfor %}", {"ds": [datetime.date(2021, 1, 1), datetime.date(2020, 12, 31), datetime.date(2026, 12, 28), datetime.date(2019, 12, 30)]})
case("date/ordinals", "{% for n in ns %}{{ n|date:'jS' }} {% endfor %}", {"ns": [datetime.date(2026, 1, d) for d in range(1, 32)]})
case("date/p-forms", "{% for t in ts %}{{ t|time:'P' }}|{{ t|time:'f a' }};{% endfor %}", {"ts": [datetime.time(h, m) for h in (0, 1, 11, 12, 13, 23) for m in (0, 5, 30)]})
case("date/time-on-date", "[{{ d|time:'H:i' }}][{{ d|date:'' }}]", {"d": datetime.date(2026, 1, 1)})
case("date/date-format-on-time", "[{{ t|date:'H:i' }}]", {"t": datetime.time(1, 2)})

# Tags.
case("for/basic", "{% for x in xs %}{{ forloop.counter }}{{ forloop.counter0 }}{{ forloop.revcounter }}{{ forloop.revcounter0 }}{{ forloop.first|yesno:'F,' }}{{ forloop.last|yesno:'L,' }}:{{ x }} {% endfor %}", {"xs": ["a", "b", "c"]})
case("for/reversed-empty", "{% for x in xs reversed %}{{ x }}{% empty %}none{% endfor %}{% for x in ys %}{{ x }}{% empty %}none{% endfor %}{% for x in missing %}{{ x }}{% empty %}missing{% endfor %}", {"xs": [1, 2, 3], "ys": []})
case("for/unpack", "{% for k, v in d.items %}{{ k }}={{ v }};{% endfor %}{% for a,b in pairs %}{{ a }}{{ b }}{% endfor %}{% for a , b in pairs %}{{ a }}{% endfor %}", {"d": {"x": 1, "y": 2}, "pairs": [(1, 2), [3, 4], "ab"]})
case("for/unpack-mismatch", "{% for a, b in xs %}{{ a }}{% endfor %}", {"xs": [(1, 2, 3)]})
case("for/parentloop", "{% for a in xs %}{% for b in xs %}{{ forloop.parentloop.counter }}{{ forloop.counter }} {% endfor %}{% endfor %}", {"xs": [1, 2]})
case("for/string-and-dict", "{% for c in s %}[{{ c }}]{% endfor %}{% for k in d %}{{ k }}{% endfor %}", {"s": "héy", "d": {"a": 1, "b": 2}})
case("for/forloop-print", "{% for x in xs %}{{ forloop }}{% endfor %}", {"xs": [1]})
case("for/not-iterable", "{% for x in n %}{{ x }}{% endfor %}", {"n": 5})
case("for/loop-var-scoping", "{% for x in xs %}{% endfor %}[{{ x }}]{{ forloop.counter }}", {"xs": [1], "x": "outer"})
case("for/filter-sequence", "{% for x in xs|slice:':2'|dictsort:0 %}{{ x }}{% endfor %}", {"xs": [(3,), (1,), (2,)]})
case("if/operators", "{% if a and b %}1{% endif %}{% if a or c %}2{% endif %}{% if not c %}3{% endif %}{% if a == 1 %}4{% endif %}{% if a != 2 %}5{% endif %}{% if a < 2 %}6{% endif %}{% if a <= 1 %}7{% endif %}{% if b > 1 %}8{% endif %}{% if b >= 3 %}9{% endif %}{% if 'x' in s %}A{% endif %}{% if 'z' not in s %}B{% endif %}{% if n is None %}C{% endif %}{% if a is not None %}D{% endif %}{% if 2 in xs %}E{% endif %}", {"a": 1, "b": 3, "c": 0, "s": "xyz", "n": None, "xs": [1, 2]})
case("if/precedence", "{% if a or b and c %}1{% endif %}{% if not a or b %}2{% endif %}{% if not a == b %}3{% endif %}{% if a == b or c %}4{% endif %}{% if not not a %}5{% endif %}", {"a": 1, "b": 0, "c": 0})
case("if/elif-else", "{% for n in ns %}{% if n < 0 %}neg{% elif n == 0 %}zero{% elif n < 10 %}small{% else %}big{% endif %} {% endfor %}", {"ns": [-1, 0, 5, 50]})
case("if/type-errors-are-false", "{% if n < 1 %}A{% endif %}{% if 'a' in n %}B{% endif %}{% if n > 'x' %}C{% endif %}{% if not n < 1 %}D{% endif %}|{% if missing.x == None %}E{% endif %}{% if missing == '' %}F{% endif %}", {"n": None})
case("if/filters-in-condition", "{% if xs|length > 2 %}long{% endif %}{% if s|upper == 'AB' %}up{% endif %}", {"xs": [1, 2, 3], "s": "ab"})
case("if/literals", "{% if 1 == 1.0 %}a{% endif %}{% if 'a' == \"a\" %}b{% endif %}{% if True %}c{% endif %}{% if None %}d{% endif %}{% if 0 %}e{% endif %}")
case("if/is-identity", "{% if a is b %}same{% else %}diff{% endif %}{% if t is True %}T{% endif %}{% if f is False %}F{% endif %}", {"a": [1], "b": [1], "t": True, "f": False})
case("with/both-syntaxes", "{% with a=1 b='x' c=d.e %}{{ a }}{{ b }}{{ c }}{% endwith %}{% with d.e as z %}{{ z }}{% endwith %}{% with d.e as y and 2 as w %}{{ y }}{{ w }}{% endwith %}[{{ a }}]", {"d": {"e": "E"}})
case("include/basic", "{% include 'inc.html' %}|{% include 'inc.html' with name='X' %}|{% include 'inc.html' with name='Y' only %}|{% include tpl %}", {"name": "N", "other": "O", "tpl": "inc.html"}, {"inc.html": "[{{ name }}{{ other }}]"})
case("include/list-and-relative", "{% include names %}{% include './dir/b.html' %}", {"names": ["nope.html", "a.html"]}, {"a.html": "A", "dir/b.html": "B{% include '../a.html' %}"})
case("include/missing", "{% include 'nope.html' %}", {})
case("include/syntax-error-inside", "x{% include 'bad.html' %}", {}, {"bad.html": "{% if %}"})
case("include/context-leak", "{% include 'set.html' %}[{{ v }}]", {}, {"set.html": "{% with v=1 %}{{ v }}{% endwith %}{% cycle 'a' 'b' as v %}"})
case("include/cycle-isolated", "{% for i in xs %}{% include 'c.html' %}{% endfor %}", {"xs": [1, 2, 3]}, {"c.html": "{% cycle 'a' 'b' %}"})
case("extends/three-levels", "{% extends 'mid.html' %}{% block title %}Child-{{ block.super }}{% endblock %}{% block body %}B{% endblock %}",
     {"v": "V"}, {"mid.html": "{% extends 'base.html' %}{% block title %}Mid-{{ block.super }}{% endblock %}{% block extra %}E{% endblock %}",
                   "base.html": "<title>{% block title %}Base{% endblock %}</title>{% block body %}{% endblock %}{% block extra %}{% endblock %}{{ v }}"})
case("extends/leading-text-and-outside", "lead{% extends 'base.html' %}ignored{% block a %}child{% endblock %}ignored", {}, {"base.html": "[{% block a %}base{% endblock %}][{% block b %}B{% endblock %}]"})
case("extends/nested-blocks", "{% extends 'base.html' %}{% block inner %}I2{% endblock %}", {}, {"base.html": "{% block outer %}O[{% block inner %}I{% endblock %}]{% endblock %}"})
case("extends/variable-parent", "{% extends p %}{% block a %}x{% endblock %}", {"p": "base.html"}, {"base.html": "<{% block a %}{% endblock %}>"})
case("extends/super-in-base", "{% block a %}[{{ block.super }}]{% endblock %}", {})
case("extends/include-in-block", "{% extends 'base.html' %}{% block a %}{% include 'i.html' %}{% endblock %}", {"x": 1}, {"base.html": "{% block a %}{% endblock %}", "i.html": "i{{ x }}"})
case("autoescape/nested", "{% autoescape off %}{{ s }}{% autoescape on %}{{ s }}{% endautoescape %}{% endautoescape %}", {"s": "<>"})
case("filter/tag", "{% filter upper|cut:' ' %}hello {{ name }} world{% endfilter %}|{% filter force_escape %}<b>{% endfilter %}", {"name": "<x>"})
case("firstof/basic", "{% firstof a b 'fallback' %}|{% firstof a c %}|{% firstof b c as v %}[{{ v }}]|{% firstof missing %}", {"a": 0, "b": "<b>", "c": mark_safe("<c>")})
case("cycle/forms", "{% for x in xs %}{% cycle 'a' 'b' 'c' %}{% cycle 'x' 'y' as v silent %}[{{ v }}]{% cycle v %}{% endfor %}", {"xs": [1, 2, 3, 4]})
case("cycle/named-and-reset", "{% for x in xs %}{% cycle 'r1' 'r2' as row %}{% if forloop.counter == 2 %}{% resetcycle row %}{% endif %}{% endfor %}|{% for x in xs %}{% cycle a b %}{% resetcycle %}{% endfor %}", {"xs": [1, 2, 3, 4], "a": "<", "b": ">"})
case("ifchanged/forms", "{% for x in xs %}{% ifchanged %}{{ x }}{% endifchanged %}{% ifchanged x %}c{% else %}s{% endifchanged %}{% endfor %}", {"xs": [1, 1, 2, 2, 1]})
case("ifchanged/nested-loops", "{% for a in xs %}{% for b in xs %}{% ifchanged b %}{{ b }}{% endifchanged %}{% endfor %};{% endfor %}", {"xs": [1, 2]})
case("spaceless/basic", "{% spaceless %}\n <p>\n  <a href='x'>  x  </a>\n </p>\n{% endspaceless %}")
case("verbatim/both", "{% verbatim %}{{ x }}{% if %}{% endverbatim %}|{% verbatim v %}{% endverbatim %}{% endverbatim v %}", {"x": 1})
case("templatetag/all", "{% templatetag openblock %}{% templatetag closeblock %}{% templatetag openvariable %}{% templatetag closevariable %}{% templatetag openbrace %}{% templatetag closebrace %}{% templatetag opencomment %}{% templatetag closecomment %}")
case("widthratio/forms", "{% widthratio 175 200 100 %} {% widthratio v m 10 %} {% widthratio 0 0 10 %} {% widthratio 'x' 1 1 %} {% widthratio 1 3 100 as w %}[{{ w }}] {% widthratio 5 10 1 %} {% widthratio 15 10 1 %}", {"v": 3, "m": 4})
case("now/year", "{% now 'Y' %} {% now 'Y' as y %}[{{ y }}]")
case("regroup/basic", "{% regroup people by gender as groups %}{% for g in groups %}{{ g.grouper }}:{% for p in g.list %}{{ p.name }}{% endfor %};{% endfor %}{% for grouper, items in groups %}{{ grouper }}{{ items|length }}{% endfor %}",
     {"people": [{"name": "a", "gender": "m"}, {"name": "b", "gender": "m"}, {"name": "c", "gender": "f"}, {"name": "d", "gender": "m"}]})
case("regroup/by-filter-and-missing", "{% regroup xs by k|upper as g %}{% for i in g %}{{ i.grouper }}{{ i.list|length }}{% endfor %}{% regroup missing by k as h %}[{{ h|length }}]", {"xs": [{"k": "a"}, {"k": "A"}, {"k": "b"}]})
case("lorem/common", "{% lorem %}|{% lorem 3 w %}|{% lorem 1 p %}", {})
case("comment/forms", "a{# one #}b{% comment %}{{ x }}{% if %}{% endcomment %}c{% comment 'note' %}x{% endcomment %}")
case("load/libraries", "{% load i18n static %}{% load l10n %}{% load trans from i18n %}{% load tz %}ok")
case("csrf_token/values", "{% csrf_token %}|{% with csrf_token='abc<' %}{% csrf_token %}{% endwith %}|{% with csrf_token='NOTPROVIDED' %}{% csrf_token %}{% endwith %}")
case("url/forms", "{% url 'home' %}|{% url 'item' 5 %}|{% url 'item' pk=7 %}|{% url name n %}|{% url 'pair' 'a' 'b' %}|{% url 'nope' as u %}[{{ u }}]|{% url 'item' 3 as v %}{{ v }}", {"name": "item", "n": 9})
case("url/missing", "{% url 'nope' %}", {})
case("static/forms", "{% load static %}{% static 'css/a b.css' %}|{% static p as s %}{{ s }}|{% get_static_prefix %}|{% get_static_prefix as pre %}{{ pre }}", {"p": "x&y.js"})
case("trans/forms", "{% load i18n %}{% trans 'Hello' %}|{% translate \"a & b\" %}|{% trans v %}|{% trans 'x' noop %}|{% trans 'ctx' context 'menu' %}|{% trans 'T' as t %}{{ t }}|{% trans '100%' %}|{{ _('lit') }}|{% trans v|upper %}", {"v": "<v>"})
case("blocktrans/forms", "{% load i18n %}{% blocktrans %}Hi {{ name }}!{% endblocktrans %}|{% blocktrans with n=name|upper %}Yo {{ n }}{% endblocktrans %}|{% blocktranslate count c=items|length %}{{ c }} item{% plural %}{{ c }} items{% endblocktranslate %}|{% blocktrans trimmed %}\n  a\n  b  {{ name }}\n{% endblocktrans %}|{% blocktrans asvar v %}50% of {{ name }}{% endblocktrans %}[{{ v }}]|{% blocktrans count counter=1 %}one{% plural %}many{% endblocktrans %}",
     {"name": "<Bo>", "items": [1, 2]})
case("blocktrans/context", "{% load i18n %}{% blocktrans context 'x' with a=1 %}{{ a }} {{ missing }}{% endblocktrans %}", {})
case("i18n/current-language", "{% load i18n %}{% get_current_language as L %}{{ L }}{% get_current_language_bidi as B %}{{ B }}")
case("localize/tag-and-filters", "{% load l10n %}{% localize off %}{{ n }}{% endlocalize %}{% localize on %}{{ f }}{% endlocalize %}{{ n|localize }}{{ f|unlocalize }}{{ d|localize }}", {"n": 1234567, "f": 1234.5, "d": datetime.date(2026, 1, 2)})

# Lookups.
case("lookup/dotted", "{{ d.a }} {{ d.b.1 }} {{ d.c.d }} {{ l.0 }} {{ l.4 }} {{ l.9 }} {{ d.items }} {{ d.keys }} {{ d.values }} {{ s.0 }} {{ t.1 }} {{ ik.1 }}", {"d": VALUES["dict"], "l": VALUES["list"], "s": "xyz", "t": (1, 2), "ik": {1: "one"}})
case("lookup/key-shadows-method", "{{ d.items }}|{% for k in d.keys %}{{ k }}{% endfor %}", {"d": {"items": "mine", "keys": "k"}})
case("lookup/str-methods", "{{ s.upper }} {{ s.title }} {{ s.isdigit }} {{ s.split }} {{ s.strip }}|{{ s.count }}|", {"s": " ab cd "})
case("lookup/date-attrs", "{{ d.year }}-{{ d.month }}-{{ d.day }} {{ d.weekday }} {{ dt.hour }}:{{ dt.minute }} {{ dt.date }} {{ dt.time }} {{ d.isoformat }}", {"d": datetime.date(2026, 3, 1), "dt": datetime.datetime(2026, 3, 1, 7, 8, 9)})
case("lookup/object-attrs", "{{ p }} {{ p.name }} {{ p.age|add:1 }} [{{ p.nope }}]", {"p": Person("Ada", 36)})
case("lookup/missing-and-none", "[{{ missing }}][{{ missing.x }}][{{ none.x }}][{{ d.nope }}][{{ l.nope }}]", {"none": None, "d": {}, "l": []})
case("lookup/builtins", "{{ True }} {{ False }} {{ None }} {% with True='shadow' %}{{ True }}{% endwith %}")
case("literal/numbers", "{{ 1 }} {{ -1 }} {{ 1.5 }} {{ 1e3 }} {{ 1.0 }} {{ .5 }} {{ +3 }}")
case("literal/strings", "{{ 'a' }} {{ \"b\" }} {{ '<x>' }} {{ 'it\\'s' }} {{ \"say \\\"hi\\\"\" }} {{ '' }}")
case("literal/filter-arg-var", "{{ v|default:other }} {{ v|add:n }}", {"v": "", "other": "<o>", "n": 2})

# Whitespace, unicode and odd syntax rendered as text.
case("syntax/unclosed-and-multiline", "{{ a\n}} {% b \n%} {# c\n#} {{ a }}} {{{ a }} {", {"a": 1})
case("syntax/unicode-template", "<p>Grüße {{ name }} — ✓ 🎉</p>", {"name": "Zoë"})
case("syntax/whitespace-in-tags", "{{   a|upper   }}{%   if a   %}y{%   endif   %}{{ a | lower }}", {"a": "Ab"})
case("syntax/comment-tags-inside", "{# {% if %} #}ok")

# The 100-row table the benchmark renders.
ROWS = [{"id": i, "name": f"Item <{i}>", "price": i * 1.25, "tags": ["a", "b"] if i % 3 else [], "active": i % 2 == 0} for i in range(100)]
TABLE = """<table>{% for row in rows %}
<tr data-key="{{ row.id }}" class="{% if row.active %}on{% else %}off{% endif %}"><td>{{ row.name|upper }}</td><td>{{ row.price|floatformat:2 }}</td><td>{{ row.tags|join:", "|default:"none" }}</td></tr>{% endfor %}
</table>"""
case("table/100-rows", TABLE, {"rows": ROWS})

# Compile errors: the message must be Django's.
ERRORS = [
    "{% if %}x{% endif %}",
    "{% if a and %}x{% endif %}",
    "{% if a b %}x{% endif %}",
    "{% if and a %}x{% endif %}",
    "{% if a == %}x{% endif %}",
    "{% if a %}x",
    "{% if a %}x{% else %}y{% else %}z{% endif %}",
    "{% for x %}{% endfor %}",
    "{% for x on y %}{% endfor %}",
    "{% for x in y %}",
    "{% for x, in y %}{% endfor %}",
    "{% endfor %}",
    "{% frobnicate %}",
    "{{ }}",
    "{% %}",
    "{{ a|nope }}",
    "{{ a|upper:1 }}",
    "{{ a|add }}",
    "{{ a b }}",
    "{{ a._b }}",
    "{{ _a }}",
    "{{ 'unterminated }}",
    "{{ a|default:'x' b }}",
    "{{ |upper }}",
    "{% with %}{% endwith %}",
    "{% with a=1 b %}{% endwith %}",
    "{% cycle %}",
    "{% cycle undefined %}",
    "{% cycle 'a' 'b' as c x %}",
    "{% resetcycle %}",
    "{% resetcycle nope %}",
    "{% autoescape %}{% endautoescape %}",
    "{% autoescape maybe %}{% endautoescape %}",
    "{% block a %}{% endblock %}{% block a %}{% endblock %}",
    "{% block a %}{% endblock b %}",
    "{% load nope %}",
    "{% load nope from i18n %}",
    "{% trans 'x' %}",
    "{% load i18n %}{% trans %}",
    "{% load i18n %}{% trans 'x' bogus %}",
    "{% load i18n %}{% blocktrans %}{% if %}{% endblocktrans %}",
    "{% load i18n %}{% blocktrans count a=1 %}x{% endblocktrans %}",
    "{% static 'x' %}",
    "{% include %}",
    "{% include 'a' with %}",
    "{% include 'a' bogus %}",
    "{% extends %}",
    "x{% load i18n %}{% extends 'a' %}",
    "{% extends 'a' %}{% extends 'b' %}",
    "{% widthratio 1 2 %}",
    "{% widthratio 1 2 3 at x %}",
    "{% now %}",
    "{% regroup a by b %}",
    "{% regroup a on b as c %}",
    "{% templatetag nope %}",
    "{% firstof %}",
    "{% filter escape %}x{% endfilter %}",
    "{% url %}",
    "{% lorem 1 2 3 %}",
    "{% comment %}unclosed",
    "{% verbatim %}unclosed",
    "{% for x in y %}{% else %}{% endfor %}",
    "{{ a|date:'Y' b }}",
    "{% if a %}{% elif %}{% endif %}",
]
for i, src in enumerate(ERRORS):
    case(f"error/{i:02d}", src, {"a": 1, "y": [1]})

# Render-time errors: both must fail.
case("render-error/divisibleby-zero", "{{ 4|divisibleby:0 }}")
case("render-error/date-time-on-date", "{{ d|date:'H' }}", {"d": datetime.date(2026, 1, 1)})
case("render-error/missing-filter-arg", "{{ a|default:nope }}", {"a": ""})
case("render-error/ljust-bad-arg", "{{ 'a'|ljust:'x' }}")
case("render-error/extends-missing", "{% extends 'nope.html' %}")
case("render-error/widthratio-bad-width", "{% widthratio 1 2 'x' %}")
case("render-error/url-no-match", "{% url 'item' %}")

# Escaping interplay and safe strings through filters.
case("safe/filters-keep-or-drop-safety", "{{ s|safe|upper }}|{{ s|safe|lower }}|{{ s|upper|safe }}|{{ s|safe|cut:'b' }}|{{ s|safe|cut:';' }}|{{ s|safe|slice:':3' }}|{{ s|safe|first }}|{{ s|safe|last }}|{{ s|safe|add:'<i>' }}|{{ s|safe|truncatechars:4 }}", {"s": "<b>x;</b>"})
case("safe/context-safe-values", "{{ s }}|{{ s|escape }}|{{ s|force_escape }}|{{ s|striptags }}|{{ s|length }}|{{ s|wordcount }}", {"s": mark_safe("<b>bold &amp; brave</b>")})
case("safe/attributes", "<input value=\"{{ v }}\" data-x='{{ v }}' title={{ v }}>", {"v": "a\"b'c<d>&e"})
case("safe/literal-args-are-safe", "{{ v|default:'<em>none</em>' }}|{{ xs|join:'<br>' }}|{{ v|default:other }}", {"v": "", "xs": ["<a>", "b"], "other": "<o>"})
case("escape/autoescape-off-filters", "{% autoescape off %}{{ s|linebreaksbr }}|{{ s|urlize }}|{{ xs|join:'&' }}|{{ s|linenumbers }}|{{ s|unordered_list }}{% endautoescape %}", {"s": "<a href>\nhttp://x.com", "xs": ["<", ">"]})

# Missing and None values everywhere.
case("missing/through-filters", "[{{ m|length }}][{{ m|default_if_none:'x' }}][{{ n|default_if_none:'x' }}][{{ m|upper }}][{{ m|add:1 }}][{{ m|join:',' }}][{{ m|first }}][{{ m|yesno }}][{{ n|yesno }}][{{ m|floatformat }}][{{ m|date }}][{{ n|date }}][{{ m|pluralize }}]", {"n": None})
case("missing/tags", "{% for x in m %}{{ x }}{% empty %}E{% endfor %}{% with a=m %}[{{ a }}]{% endwith %}{% firstof m n 'z' %}{% cycle m 'q' as c %}{% ifchanged m %}C{% endifchanged %}{% include 'i.html' with v=m %}", {"n": None}, {"i.html": "[{{ v }}]"})
case("missing/conditions", "{% if m %}1{% endif %}{% if not m %}2{% endif %}{% if m == None %}3{% endif %}{% if m is None %}4{% endif %}{% if n is None %}5{% endif %}{% if m in xs %}6{% endif %}{% if m|length == 0 %}7{% endif %}", {"n": None, "xs": [None]})

# Containers printed (repr inside str).
case("repr/containers", "{{ a }}|{{ b }}|{{ c }}|{{ d }}|{{ e }}|{{ f }}", {"a": [1.0, 1e16, 1e-5, float("inf")], "b": [D("1.50"), datetime.date(2026, 1, 2)], "c": {"k": datetime.datetime(2026, 1, 2, 3, 4, 5)}, "d": [datetime.time(1, 2), datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)], "e": ["it's", 'say "hi"', "both ' \"", "\\", "tab\t", "é\x00"], "f": [(), (1,), [[]], {}, {1: (2, 3)}, True, None, 2**80]})
case("repr/strings-with-quotes", "{{ xs }}", {"xs": ["'", '"', "'\"", "\n\r", "\x7f", "\u0085"]})

# Unicode.
case("unicode/case-mapping", "{{ s|upper }}|{{ s|lower }}|{{ s|title }}|{{ s|capfirst }}|{{ s|length }}|{{ s|slice:'2:5' }}|{{ s|truncatechars:6 }}|{{ s|center:20 }}|{{ s|make_list|length }}", {"s": "straße ǆungla éCOLE"})
case("unicode/escapes-and-json", "{{ s|escapejs }}|{{ s|json_script }}|{{ s|urlencode }}|{{ s|iriencode }}", {"s": "日本語 ✓ 🎉 \u2028"})

# Numbers at the edges.
case("numbers/big-and-negative", "{{ a }} {{ b }} {{ a|add:b }} {{ c|add:1 }} {{ a|divisibleby:3 }} {{ b|get_digit:2 }} {{ a|filesizeformat }} {{ a|floatformat:2 }}", {"a": 10**30, "b": -987654321, "c": 2**63 - 1})
case("numbers/floats", "{% for f in fs %}{{ f }}|{{ f|floatformat }}|{{ f|floatformat:-2 }}|{{ f|stringformat:'.3g' }};{% endfor %}", {"fs": [0.1 + 0.2, 1 / 3, 2.5, 3.5, -0.5, 1e15, 1e16, 123.456e-10, 5e-324, 1.7976931348623157e308]})
case("numbers/decimals", "{% for d in ds %}{{ d }}|{{ d|floatformat }}|{{ d|floatformat:3 }}|{{ d|add:1 }};{% endfor %}", {"ds": [D("0.1"), D("-1.005"), D("1E+5"), D("123456789.123456789"), D("0E-10"), D("NaN"), D("Infinity")]})
case("numbers/widthratio-rounding", "{% for v in vs %}{% widthratio v 10 100 %},{% endfor %}", {"vs": [0.25, 0.35, 0.45, 1.5, 2.5, -0.5, 10, 0]})

# Nested loops, scoping and state.
case("loops/nested-three", "{% for a in xs %}{% for b in xs %}{% for c in xs %}{{ forloop.parentloop.parentloop.counter }}{{ forloop.parentloop.counter }}{{ forloop.counter }}{% if forloop.last and forloop.parentloop.last %}!{% endif %} {% endfor %}{% endfor %}{% endfor %}", {"xs": [1, 2]})
case("loops/with-inside-for", "{% for x in xs %}{% with y=x|add:10 %}{{ y }}{% cycle 'a' 'b' %}{% endwith %}{% endfor %}", {"xs": [1, 2, 3]})
case("loops/shadowing", "{% for x in xs %}{% for x in x %}{{ x }}{% endfor %}-{{ x }};{% endfor %}{{ x }}", {"xs": [[1, 2], [3]], "x": "top"})
case("loops/forloop-override", "{% with forloop=1 %}{% for a in xs %}{{ forloop.parentloop }}{% endfor %}{% endwith %}", {"xs": [1]})
case("loops/dict-items-sorted", "{% for k, v in d.items|dictsort:0 %}{{ k }}{{ v }}{% endfor %}", {"d": {"b": 2, "a": 1}})
case("loops/regroup-in-loop", "{% regroup xs by 0 as g %}{% for grp in g %}{{ grp.grouper }}:{% for x in grp.list %}{{ x.1 }}{% endfor %} {% endfor %}", {"xs": [("a", 1), ("a", 2), ("b", 3)]})

# Includes and extends chains.
case("chain/include-extends", "{% include 'page.html' %}", {"t": "T"}, {"page.html": "{% extends 'base.html' %}{% block c %}[{{ t }}]{{ block.super }}{% endblock %}", "base.html": "<{% block c %}base{% endblock %}>"})
case("chain/extends-include-with", "{% extends 'base.html' %}{% block c %}{% include 'row.html' with n=n|add:1 %}{% endblock %}", {"n": 1}, {"base.html": "{% block c %}{% endblock %}{% include 'row.html' %}", "row.html": "({{ n }})"})
case("chain/four-levels-super", "{% extends 'l3.html' %}{% block b %}4{{ block.super }}{% endblock %}", {}, {"l3.html": "{% extends 'l2.html' %}{% block b %}3{{ block.super }}{% endblock %}", "l2.html": "{% extends 'l1.html' %}{% block b %}2{{ block.super }}{% endblock %}", "l1.html": "{% block b %}1{% endblock %}"})
case("chain/block-in-if-and-for", "{% extends 'base.html' %}{% block x %}X{{ i }}{% endblock %}", {"on": True, "xs": [1, 2]}, {"base.html": "{% if on %}{% for i in xs %}{% block x %}b{% endblock %}{% endfor %}{% endif %}"})
case("chain/include-loop-context", "{% for i in xs %}{% include 'i.html' %}{% endfor %}", {"xs": ["a", "b"]}, {"i.html": "{{ i }}{{ forloop.counter }}{% if forloop.last %}.{% endif %}"})
case("chain/include-in-include", "{% include 'a.html' with d=1 %}", {}, {"a.html": "a{{ d }}{% include 'b.html' with d=d|add:1 %}", "b.html": "b{{ d }}{% include 'c.html' only %}", "c.html": "c[{{ d }}]"})
case("chain/extends-variable-template-list", "{% include names with x=1 %}", {"names": ("missing.html", "b.html")}, {"b.html": "B{{ x }}"})

# Filter expression syntax.
case("syntax/args-with-separators", "{{ v|default:'a|b:c' }}|{{ v|default:\"x\\\"y\" }}|{{ v|cut:' '|default:'&' }}|{{ 'a:b'|cut:':' }}", {"v": ""})
case("syntax/numeric-lookups", "{{ d.1 }}{{ xs.0.1 }}{{ xs.1.0 }}", {"d": {"1": "str-key"}, "xs": [["a", "b"], ("c",)]})
case("syntax/i18n-literal-arg", "{{ v|default:_('Nothing') }}", {"v": ""})

# Floats in bulk: repr (inside a list), str via localize, and floatformat,
# over random doubles and over values with short binary fractions (ties).
import random as _random  # noqa: E402

_rng = _random.Random(20261130)
_FLOATS = [_rng.uniform(-1e6, 1e6) for _ in range(150)]
_FLOATS += [_rng.getrandbits(52) / 2 ** _rng.randint(1, 60) for _ in range(150)]
_FLOATS += [float(_rng.getrandbits(60)) * 2.0 ** _rng.randint(-80, 80) for _ in range(100)]
_FLOATS += [k / 8 + 10**_rng.randint(0, 17) for k in range(40)]
for _i in range(0, len(_FLOATS), 40):
    chunk = _FLOATS[_i:_i + 40]
    case(f"floats/bulk-{_i:03d}", "{{ fs }}|{% for f in fs %}{{ f }} {{ f|floatformat }} {{ f|floatformat:3 }} {{ f|floatformat:'-2' }};{% endfor %}", {"fs": chunk})
