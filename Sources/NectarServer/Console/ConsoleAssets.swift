/// The console's stylesheet and script, served from the binary (no
/// external fonts, scripts or images: the daemon may run offline).
enum ConsoleAssets {
    static let css = """
        :root { --ink: #1d1d1f; --muted: #5a5a61; --line: #d5d5da; --bg: #fafaf7; --card: #fff; --accent: #8a5300;
                --critical: #a4161a; --high: #b45309; --medium: #1d4ed8; --low: #4b5563; --ok: #166534; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f59e0b; outline-offset: 2px; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 8px; top: 8px; background: #fff; padding: 8px; z-index: 10; }
        header { background: #2b2118; color: #fff; padding: 8px 16px; display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; }
        header .brand { font-weight: 700; color: #fcd34d; text-decoration: none; }
        header nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 0; padding: 0; }
        header nav a { color: #fff; text-decoration: none; padding: 4px 2px; }
        header nav a[aria-current="page"] { border-bottom: 3px solid #fcd34d; }
        header .who { margin-left: auto; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
        header .who button { background: transparent; color: #fff; border: 1px solid #fff; }
        .badge { display: inline-block; min-width: 1.5em; padding: 0 6px; border-radius: 999px; background: #fcd34d; color: #2b2118;
                 font-weight: 700; text-align: center; font-size: 0.85em; }
        main { padding: 16px; max-width: 1200px; margin: 0 auto; }
        h1 { font-size: 1.5rem; margin: 8px 0 16px; }
        h2 { font-size: 1.15rem; margin: 24px 0 8px; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 16px; }
        .table-wrap { overflow-x: auto; }
        code, dd, .muted { overflow-wrap: anywhere; }
        table { border-collapse: collapse; width: 100%; background: var(--card); }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: 0.85rem; color: var(--muted); }
        button, .button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent);
                          color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
        button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: var(--critical); border-color: var(--critical); }
        label { display: block; font-weight: 600; margin: 8px 0 4px; }
        input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #8c8c94; border-radius: 6px; max-width: 100%; }
        textarea { width: 100%; min-height: 6em; }
        form.inline { display: inline-flex; gap: 8px; align-items: end; flex-wrap: wrap; margin: 4px 0; }
        .filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; }
        .notice { border-left: 4px solid var(--ok); padding: 8px 12px; background: #ecfdf3; margin-bottom: 16px; }
        .error { border-left: 4px solid var(--critical); padding: 8px 12px; background: #fef2f2; margin-bottom: 16px; }
        .urgency { font-weight: 700; text-transform: uppercase; font-size: 0.8rem; }
        .urgency-critical { color: var(--critical); } .urgency-high { color: var(--high); }
        .urgency-medium { color: var(--medium); } .urgency-low { color: var(--low); }
        .overdue { color: var(--critical); font-weight: 700; }
        .muted { color: var(--muted); }
        .status-paused, .status-maintenance, .drift { color: var(--high); font-weight: 700; }
        .messages { list-style: none; padding: 0; margin: 0; }
        .messages li { padding: 8px 12px; margin: 6px 0; border-radius: 8px; background: #f1f1ee; max-width: 48em; }
        .messages li.user { background: #fff7e6; }
        .messages li.operator { background: #e8f0fe; }
        .messages .meta { font-size: 0.8rem; color: var(--muted); display: block; }
        .figures { display: flex; flex-wrap: wrap; gap: 16px; margin: 0; }
        .figures div { min-width: 120px; }
        .figures dt { font-size: 0.8rem; color: var(--muted); }
        .figures dd { margin: 0; font-size: 1.3rem; font-weight: 700; }
        figure { margin: 0; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: 16px; }
        svg.chart { display: block; width: 100%; height: auto; }
        svg.chart .bar { fill: #d08c21; } svg.chart .bar2 { fill: #2b2118; }
        svg.chart .axis { stroke: #8c8c94; stroke-width: 1; }
        svg.chart text { font-size: 11px; fill: #3f3f46; }
        .sign-in { max-width: 420px; margin: 10vh auto; }
        .sign-in input { width: 100%; }
        @media (max-width: 600px) {
            header .who { margin-left: 0; }
            main { padding: 8px; }
            th, td { padding: 4px; font-size: 0.9rem; }
            .hide-narrow { display: none; }
        }
        """

    /// Live updates (server-sent events), SLA countdowns and the unread count.
    static let js = """
        (function () {
          "use strict";
          var live = document.getElementById("live");
          function announce(text) { if (live) { live.textContent = text; } }
          function refresh(id) {
            var target = document.getElementById(id);
            if (!target) { return; }
            var url = new URL(window.location.href);
            url.searchParams.set("fragment", id);
            fetch(url.toString(), { credentials: "same-origin" }).then(function (response) {
              return response.ok ? response.text() : null;
            }).then(function (html) { if (html !== null) { target.innerHTML = html; countdowns(); } });
          }
          function unread() {
            fetch("/console/unread", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
              .then(function (body) {
                var badge = document.getElementById("unread");
                if (body && badge) { badge.textContent = String(body.unread); badge.hidden = body.unread === 0; }
              });
          }
          function human(seconds) {
            var s = Math.abs(Math.round(seconds)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
            return h > 0 ? h + " h " + m + " min" : m > 0 ? m + " min " + (s % 60) + " s" : s + " s";
          }
          function countdowns() {
            var now = Date.now() / 1000;
            document.querySelectorAll("[data-due]").forEach(function (element) {
              var left = Number(element.getAttribute("data-due")) - now;
              element.textContent = left >= 0 ? "due in " + human(left) : "overdue by " + human(left);
              element.classList.toggle("overdue", left < 0);
            });
          }
          countdowns();
          setInterval(countdowns, 1000);
          var source = null;
          function connect() {
            if (!window.EventSource || document.body.getAttribute("data-live") !== "on" || source) { return; }
            source = new EventSource("/console/events");
            var handle = function (event) {
              var data = {};
              try { data = JSON.parse(event.data); } catch (e) { data = {}; }
              var handoff = data.handoff || {};
              unread();
              refresh("inbox-list");
              var page = document.body.getAttribute("data-handoff");
              if (page && handoff.id === page) { refresh("handoff-thread"); refresh("handoff-facts"); }
              announce((data.type || event.type) + (handoff.bot ? " on bot " + handoff.bot : ""));
            };
            ["handoff.created", "handoff.assigned", "handoff.replied", "handoff.resolved", "handoff.reopened",
             "handoff.escalated", "reconcile.failed", "reconcile.recovered"].forEach(function (type) {
              source.addEventListener(type, handle);
            });
          }
          // A page leaving (or entering the back-forward cache) gives its
          // connection back; one coming back from that cache reconnects.
          window.addEventListener("pagehide", function () { if (source) { source.close(); source = null; } });
          window.addEventListener("pageshow", function (event) { if (event.persisted) { unread(); connect(); } });
          connect();
        })();
        """
}
