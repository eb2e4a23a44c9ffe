"""The explorer's look: one style sheet for cards, highlights, the document reader and the Compare view."""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
.block-container {padding-top: 2.2rem; padding-bottom: 3rem; max-width: 1880px;}
section[data-testid="stSidebar"] .block-container {padding-top: 1.2rem;}
.rf-brand {font-size: 1.45rem; font-weight: 700; letter-spacing: -0.01em; color: #0f3d3a; margin: 0;}
.rf-brand span {color: #0f766e;}
.rf-sub {color: #5b6673; font-size: .85rem; margin: .1rem 0 .6rem 0;}
.rf-index {background: #fff; border: 1px solid #e3e7eb; border-radius: 8px; padding: .55rem .7rem; font-size: .84rem;
           color: #3d4852; line-height: 1.45;}
.rf-index b {color: #1f2933;}
.rf-index .rf-path {color: #7b8794; font-size: .74rem; word-break: break-all;}
.rf-head {display: flex; align-items: center; gap: .65rem; flex-wrap: wrap; font-size: .86rem; color: #52606d;
          margin-bottom: .2rem;}
.rf-score {display: inline-flex; align-items: center; gap: .35rem; font-variant-numeric: tabular-nums;
           font-weight: 650; color: #0f766e; min-width: 6.2rem;}
.rf-bar {width: 58px; height: 7px; background: #e4e7eb; border-radius: 4px; overflow: hidden; display: inline-block;}
.rf-bar > span {display: block; height: 100%; background: linear-gradient(90deg, #5eead4, #0f766e);}
.rf-exact {font-weight: 650; color: #7c3aed; font-size: .78rem; text-transform: uppercase; letter-spacing: .04em;}
.rf-date {font-variant-numeric: tabular-nums; color: #1f2933; font-weight: 650;}
.rf-title {color: #1f2933; font-weight: 600; font-size: .92rem; line-height: 1.35; margin-bottom: .35rem;
           display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden;}
.rf-muted {color: #7b8794;}
.rf-match {border-radius: 999px; padding: .05rem .5rem; font-size: .72rem; font-weight: 600;}
.rf-match-verbatim {background: #ede9fe; color: #5b21b6;}
.rf-match-words {background: #e0f2fe; color: #075985;}
.rf-match-meaning {background: #ecfdf5; color: #065f46;}
.rf-tag {background: #eef2f7; color: #3e4c59; border-radius: 999px; padding: .05rem .55rem; font-size: .74rem;}
.rf-text {font-family: "Iowan Old Style", "Palatino Linotype", Georgia, serif; font-size: 1.04rem; line-height: 1.6;
          color: #17202a; overflow-wrap: anywhere;}
.rf-text mark, .rf-para mark {background: #fde68a; color: inherit; padding: 0 .08em; border-radius: 2px;}
.rf-ctx {color: #616e7c; font-size: .94rem; line-height: 1.5; border-left: 3px solid #e4e7eb; padding: .1rem 0 .1rem .7rem;
         margin: .35rem 0; font-family: "Iowan Old Style", "Palatino Linotype", Georgia, serif; overflow-wrap: anywhere;}
.rf-source {background: #f0fdfa; border: 1px solid #99f6e4; border-radius: 8px; padding: .7rem .9rem; margin-bottom: .4rem;}
.rf-source .rf-label {font-size: .74rem; text-transform: uppercase; letter-spacing: .06em; color: #0f766e; font-weight: 700;}
.rf-summary {color: #52606d; font-size: .9rem;}
.rf-doc-title {font-size: 1.3rem; font-weight: 700; color: #1f2933; line-height: 1.3; margin: .2rem 0 .2rem 0;}
.rf-para {font-family: "Iowan Old Style", "Palatino Linotype", Georgia, serif; font-size: 1.02rem; line-height: 1.6;
          color: #17202a; display: flex; gap: .7rem; overflow-wrap: anywhere;}
.rf-para .rf-num {color: #9aa5b1; font-family: ui-sans-serif, system-ui, sans-serif; font-size: .78rem;
                  min-width: 1.8rem; padding-top: .25rem; font-variant-numeric: tabular-nums;}
.rf-para.rf-selected {background: #fef9c3; border-radius: 6px; box-shadow: 0 0 0 6px #fef9c3;}
.rf-side {font-family: "Iowan Old Style", "Palatino Linotype", Georgia, serif; font-size: 1.05rem; line-height: 1.7;
          color: #17202a; overflow-wrap: anywhere;}
.rf-side mark.same, .rf-legend mark.same, .rf-align tr.eq td {background: #fde68a; color: inherit; border-radius: 2px;}
.rf-side mark.moved, .rf-legend mark.moved {background: #fef3c7; color: inherit; border-radius: 2px;
          text-decoration: underline dotted #d97706; text-underline-offset: 3px;}
.rf-side .only-a, .rf-legend .only-a, .rf-align .only-a {background: #fde8e8; color: #9b1c1c; border-radius: 2px;}
.rf-side .only-b, .rf-legend .only-b, .rf-align .only-b {background: #e1effe; color: #1e429f; border-radius: 2px;}
.rf-legend {font-size: .84rem; color: #52606d; display: flex; gap: 1rem; flex-wrap: wrap;}
.rf-legend mark, .rf-legend span {padding: 0 .35rem;}
.rf-metrics {display: flex; gap: 1.6rem; flex-wrap: wrap; font-size: .9rem; color: #3e4c59; margin: .2rem 0 .4rem 0;}
.rf-metrics b {font-size: 1.25rem; color: #0f766e; font-variant-numeric: tabular-nums; margin-right: .25rem;}
.rf-align {width: 100%; border-collapse: collapse; font-size: .95rem;
           font-family: "Iowan Old Style", "Palatino Linotype", Georgia, serif;}
.rf-align th {text-align: left; color: #52606d; font-family: ui-sans-serif, system-ui, sans-serif; font-size: .8rem;
              border-bottom: 1px solid #e4e7eb; padding: .3rem .5rem;}
.rf-align td {vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #f0f2f4; width: 50%;}
.rf-align .none {color: #9aa5b1;}
.rf-section {font-weight: 700; color: #1f2933; font-size: 1rem; margin: .1rem 0 .1rem 0;}
.rf-empty {color: #52606d; font-size: .95rem; padding: 1.2rem 0;}
.rf-label {font-size: .72rem; text-transform: uppercase; letter-spacing: .06em; color: #0f766e; font-weight: 700;}
.rf-centre {font-family: "Iowan Old Style", "Palatino Linotype", Georgia, serif; font-size: 1.22rem; line-height: 1.45;
            color: #17202a; font-weight: 600; margin: .15rem 0 .1rem 0; overflow-wrap: anywhere;}
.rf-core {font-size: .9rem; color: #3e4c59; margin-bottom: .1rem;}
.rf-seen {font-size: .88rem; color: #3e4c59; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
.rf-seen .rf-label {margin-right: .35rem;}
.rf-seen-title {color: #52606d;}
.rf-filterbar {display: flex; align-items: center; gap: .45rem; flex-wrap: wrap; font-size: .85rem; color: #3e4c59;}
.rf-filterbar .rf-label {margin-right: .15rem;}
.rf-chip {background: #ecfdf5; border: 1px solid #a7f3d0; color: #065f46; border-radius: 999px; padding: .05rem .6rem;}
.rf-note {color: #92400e; font-size: .85rem;}
.rf-series {font-size: .9rem; color: #1f2933; margin: .1rem 0; display: flex; align-items: baseline; gap: .45rem;
            flex-wrap: wrap;}
.rf-swatch {display: inline-block; width: 14px; height: 4px; border-radius: 2px; transform: translateY(-3px);}
div[class*="st-key-card-"] button p, div[class*="st-key-para-"] button p {font-size: .82rem;}
.rf-variants {max-height: 26rem; overflow-y: auto;}
.rf-variants table {width: 100%; border-collapse: collapse; font-size: .9rem;}
.rf-variants th {text-align: left; color: #52606d; font-size: .78rem; font-weight: 600; border-bottom: 1px solid #e4e7eb;
                 padding: .25rem .45rem; position: sticky; top: 0; background: #fff;}
.rf-variants td {vertical-align: top; padding: .3rem .45rem; border-bottom: 1px solid #f0f2f4; white-space: nowrap;}
.rf-variants td.rf-wording {white-space: normal; overflow-wrap: anywhere; width: 100%;}
.rf-variants td.num {text-align: right; font-variant-numeric: tabular-nums;}
.rf-variants mark.diff {background: #dbeafe; color: inherit; padding: 0 .08em; border-radius: 2px;}
.rf-link {font-size: .9rem; line-height: 1.4;}
.rf-link .rf-label {margin-right: .35rem;}
</style>
"""


def inject() -> None:
    st.html(CSS)
