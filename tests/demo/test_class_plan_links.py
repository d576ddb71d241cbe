"""The About tab's class plan gives each step's view as a link: every link parses to a view
with nothing left at a default (demo.view_state's parser, as the page reads a link), names
what the shipped faces model has, and opens that view in a real browser."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from demo import about
from demo.view_state import TABS, ExploreView
from gan_core.core.hub import REPO_CHECKPOINTS

LINKS = re.findall(r"\]\(([^)\s]+)\)", about.CLASS_PLAN)
EXPLORE_LINKS = [link for link in LINKS if link.startswith("?")]
FACES = "faces-dcgan64"
TAB_NAMES = {"walk": "Latent walk", "turn": "Turn vector", "arithmetic": "Face arithmetic",
             "attributes": "Attribute sliders", "photo": "Your photo"}


def test_every_step_has_a_link():
    steps = re.findall(r"^\d+\. \*\*.*?(?=^\d+\. |\Z)", about.CLASS_PLAN, re.M | re.S)
    assert len(steps) == 6
    assert all(re.search(r"\]\((\./|\?)", step) for step in steps)
    assert LINKS[0] == "./" and all(link == "./" or link.startswith("?") for link in LINKS)  # relative links
    assert {dict(parse_qsl(urlsplit(link).query))["tab"] for link in EXPLORE_LINKS} == set(TABS)


@pytest.mark.parametrize("link", EXPLORE_LINKS)
def test_each_link_parses_to_a_valid_view(link):
    query = urlsplit(link).query
    view, problems = ExploreView.from_query(query)
    assert problems == []
    params = dict(parse_qsl(query))
    assert view.tab == params["tab"] and view.model == FACES
    assert all(hasattr(view, key) for key in params)  # no parameter the page would ignore


@pytest.mark.skipif(not (REPO_CHECKPOINTS / FACES / "explore.json").is_file(), reason=f"the shipped {FACES} is needed")
def test_the_links_name_what_the_shipped_model_has():
    from demo import explore
    presets = [p.name for p in explore.presets_for(FACES).arithmetic]
    attributes = explore.attribute_choices(FACES)
    for link in EXPLORE_LINKS:
        view, _ = ExploreView.from_query(urlsplit(link).query)
        if "preset=" in link:
            assert view.preset in presets
        if "attribute=" in link:
            assert view.attribute in attributes


# ----------------------------------------------------------------------------- in a browser

browser = pytest.importorskip("tests.demo.browser")


@pytest.fixture
def app_url(tmp_path):
    env = {"GAN_CORE_CHECKPOINTS": "", "OMP_NUM_THREADS": "1"}
    yield from browser.serve_app(tmp_path, env)


@pytest.mark.browser
@pytest.mark.skipif(not browser.CHROMIUM.exists(), reason=f"{browser.CHROMIUM} is not installed")
@pytest.mark.skipif(not (REPO_CHECKPOINTS / FACES).is_dir(), reason=f"the shipped {FACES} is needed")
def test_each_link_opens_its_view(app_url):
    expect = browser.sync_api.expect
    with browser.chromium() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        page.get_by_role("tab", name="About").click()
        hrefs = page.locator("a[href^='?'], a[href='./']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert len(LINKS) >= 6 and hrefs == LINKS  # the page shows the plan's links as links, in order
        for link in LINKS:
            page.goto(app_url + link)
            warnings = page.locator("[data-testid=toast-body]")
            if link == "./":
                expect(page.get_by_role("tab", name="Generate")).to_have_attribute("aria-selected", "true",
                                                                                 timeout=60_000)
                continue
            params = dict(parse_qsl(urlsplit(link).query))
            expect(page.get_by_role("tab", name="Explore")).to_have_attribute("aria-selected", "true",
                                                                            timeout=60_000)
            expect(page.get_by_role("tab", name=TAB_NAMES[params["tab"]])).to_have_attribute(
                "aria-selected", "true", timeout=60_000)
            page.wait_for_function("() => location.search.includes('model=')", timeout=60_000)
            if "subject" in params:
                expect(page.locator("#explore-subject input, #subject input").first).to_have_value(
                    params["subject"], timeout=30_000)
            assert warnings.count() == 0, (link, warnings.all_text_contents())
