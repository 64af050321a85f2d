import Mustache

/// The console's Mustache templates, compiled into the binary. `{{x}}`
/// escapes HTML; `{{{x}}}` is used only for markup the server made itself
/// (page bodies, SVG charts).
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in templates {
            // The templates are constants: one that does not parse is a programming error caught by every test.
            try! library.register(text, named: name)
        }
        return library
    }()

    static func render(_ object: Any, _ name: String) -> String {
        library.render(object, withTemplate: name) ?? ""
    }

    static let templates: [String: String] = [
        // One <option> of a select: {{#options}}{{> option}}{{/options}}.
        "option": """
            <option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>
            """,
        "layout": """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{title}} · nectar</title>
            <link rel="stylesheet" href="/console/assets/console.css">
            <script src="/console/assets/console.js" defer></script>
            </head>
            <body data-live="{{#signedIn}}on{{/signedIn}}{{^signedIn}}off{{/signedIn}}" data-handoff="{{handoffID}}">
            <a class="skip" href="#main">Skip to content</a>
            {{#signedIn}}
            <header>
              <a class="brand" href="/console/inbox">nectar</a>
              <nav aria-label="Console">
                <ul>
                {{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a>{{#unreadBadge}} <span id="unread" class="badge" aria-label="unread notifications"{{^hasUnread}} hidden{{/hasUnread}}>{{unread}}</span>{{/unreadBadge}}</li>{{/nav}}
                </ul>
              </nav>
              <div class="who">
                <span>{{operatorName}} <span class="muted">({{role}})</span></span>
                <form method="post" action="/console/sign-out"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" id="sign-out">Sign out</button></form>
              </div>
            </header>
            {{/signedIn}}
            <main id="main">
            <div id="live" class="skip" aria-live="polite"></div>
            {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
            {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
            {{{content}}}
            </main>
            </body>
            </html>
            """,
        "sign-in": """
            <div class="sign-in card">
            <h1>Sign in to nectar</h1>
            <p class="muted">Use an operator token from <code>nectar operators token NAME</code>.</p>
            <form method="post" action="/console/sign-in">
              <label for="token">Operator token</label>
              <input id="token" name="token" type="password" autocomplete="off" required>
              <p><button type="submit" id="sign-in">Sign in</button></p>
            </form>
            </div>
            """,
        "inbox": """
            <h1>Inbox</h1>
            <form class="filters card" method="get" action="/console/inbox" aria-label="Filters">
              <div><label for="status">Status</label>
                <select id="status" name="status">{{#statuses}}{{> option}}{{/statuses}}</select></div>
              <div><label for="urgency">Urgency</label>
                <select id="urgency" name="urgency">{{#urgencies}}{{> option}}{{/urgencies}}</select></div>
              <div><label for="bot">Bot</label>
                <select id="bot" name="bot">{{#bots}}{{> option}}{{/bots}}</select></div>
              <div><button type="submit" class="secondary">Filter</button></div>
            </form>
            {{#canMarkRead}}<form method="post" action="/console/notifications/read" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="secondary">Mark notifications read</button></form>{{/canMarkRead}}
            <div id="inbox-list">{{{list}}}</div>
            """,
        "inbox-list": """
            {{#hasHandoffs}}
            <div class="table-wrap"><table>
            <caption class="skip">Handoffs, most urgent first</caption>
            <thead><tr><th scope="col">Handoff</th><th scope="col">Urgency</th><th scope="col">Bot</th><th scope="col">Status</th>
            <th scope="col">Age</th><th scope="col">SLA</th><th scope="col" class="hide-narrow">Reason</th><th scope="col" class="hide-narrow">Assignee</th></tr></thead>
            <tbody>
            {{#handoffs}}<tr class="handoff-row" data-id="{{id}}">
              <td><a href="/console/handoffs/{{id}}">#{{number}}</a></td>
              <td><span class="urgency urgency-{{urgency}}">{{urgency}}</span>{{#escalated}} <span class="muted">(escalated)</span>{{/escalated}}</td>
              <td>{{bot}}</td><td>{{status}}</td><td>{{age}}</td>
              <td>{{#due}}<span data-due="{{due}}">{{dueText}}</span>{{/due}}{{^due}}<span class="muted">{{dueText}}</span>{{/due}}</td>
              <td class="hide-narrow">{{reason}}</td><td class="hide-narrow">{{assignee}}</td>
            </tr>{{/handoffs}}
            </tbody></table></div>
            {{/hasHandoffs}}
            {{^handoffs}}<p class="card">No handoffs match.</p>{{/handoffs}}
            """,
        "handoff": """
            <p><a href="/console/inbox">← Inbox</a></p>
            <h1>Handoff #{{number}} <span class="urgency urgency-{{urgency}}">{{urgency}}</span></h1>
            <div id="handoff-facts">{{{facts}}}</div>
            <div class="grid">
            <section class="card" aria-labelledby="conversation-heading">
              <h2 id="conversation-heading">Conversation</h2>
              <div id="handoff-thread">{{{thread}}}</div>
            </section>
            <section class="card" aria-labelledby="actions-heading">
              <h2 id="actions-heading">Actions</h2>
              {{#canWork}}
              {{#open}}
              <form method="post" action="/console/handoffs/{{id}}/assign" class="inline">
                <input type="hidden" name="csrf" value="{{csrf}}">
                {{#hasAssignees}}<div><label for="to">Assign to</label><select id="to" name="to">{{#assignees}}{{> option}}{{/assignees}}</select></div>{{/hasAssignees}}
                {{#assignee}}<input type="hidden" name="from" value="{{assignee}}">{{/assignee}}
                <button type="submit" id="assign">{{assignLabel}}</button>
              </form>
              <form method="post" action="/console/handoffs/{{id}}/reply">
                <input type="hidden" name="csrf" value="{{csrf}}">
                <label for="reply-text">Reply to the user</label>
                <textarea id="reply-text" name="message" required maxlength="8192"></textarea>
                <p><button type="submit" id="reply">Send reply</button></p>
              </form>
              <form method="post" action="/console/handoffs/{{id}}/resolve">
                <input type="hidden" name="csrf" value="{{csrf}}">
                <label for="note">Resolution note (optional)</label>
                <input id="note" name="note" maxlength="4096">
                <p><button type="submit" id="resolve" class="secondary">Resolve and give back to the bot</button></p>
              </form>
              {{/open}}
              {{^open}}
              <form method="post" action="/console/handoffs/{{id}}/reopen"><input type="hidden" name="csrf" value="{{csrf}}">
                <button type="submit" id="reopen" class="secondary">Reopen</button></form>
              {{/open}}
              {{/canWork}}
              {{^canWork}}<p class="muted">Your role reads handoffs only.</p>{{/canWork}}
              <h2>Events</h2>
              <ol>{{#events}}<li><time datetime="{{at}}">{{atText}}</time> {{kind}} by {{actor}}{{#detail}} <span class="muted">{{detail}}</span>{{/detail}}</li>{{/events}}</ol>
            </section>
            </div>
            """,
        "handoff-facts": """
            <dl class="figures card">
              <div><dt>Bot</dt><dd>{{bot}}</dd></div>
              <div><dt>Status</dt><dd id="handoff-status">{{status}}</dd></div>
              <div><dt>Assignee</dt><dd id="handoff-assignee">{{assigneeText}}</dd></div>
              <div><dt>Reason</dt><dd>{{reason}}</dd></div>
              <div><dt>Opened</dt><dd>{{age}} ago</dd></div>
              <div><dt>SLA</dt><dd>{{#due}}<span data-due="{{due}}">{{dueText}}</span>{{/due}}{{^due}}{{dueText}}{{/due}}</dd></div>
            </dl>
            """,
        "messages": """
            <ol class="messages">
            {{#messages}}<li class="{{role}}"><span class="meta">{{who}} · <time datetime="{{at}}">{{atText}}</time>{{#confidence}} · confidence {{confidence}}{{/confidence}}</span>{{text}}</li>{{/messages}}
            </ol>
            {{^messages}}<p class="muted">No messages.</p>{{/messages}}
            """,
        "bots": """
            <h1>Bots</h1>
            <div class="table-wrap"><table>
            <caption class="skip">Live bots</caption>
            <thead><tr><th scope="col">Bot</th><th scope="col">Owner</th><th scope="col">Status</th><th scope="col">Revision</th>
            <th scope="col">Keys</th><th scope="col">Drift</th>{{#isAdmin}}<th scope="col">Actions</th>{{/isAdmin}}</tr></thead>
            <tbody>
            {{#bots}}<tr class="bot-row" data-bot="{{name}}">
              <td><a href="/console/bots/{{name}}">{{name}}</a></td><td>{{owner}}</td>
              <td class="status-{{status}}">{{status}}</td><td><code>{{revision}}</code></td><td>{{keys}}</td>
              <td>{{#drift}}<span class="drift">drift</span>{{/drift}}{{^drift}}<span class="muted">none</span>{{/drift}}</td>
              {{#isAdmin}}<td>{{{pauseForm}}}</td>{{/isAdmin}}
            </tr>{{/bots}}
            </tbody></table></div>
            {{^bots}}<p class="card">No bots you may see.</p>{{/bots}}
            """,
        "pause-form": """
            {{#paused}}<form method="post" action="/console/bots/{{name}}/resume" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">{{#back}}<input type="hidden" name="back" value="{{back}}">{{/back}}<button type="submit" class="secondary" id="resume-{{name}}">Resume</button></form>{{/paused}}
            {{^paused}}<form method="post" action="/console/bots/{{name}}/pause" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">{{#back}}<input type="hidden" name="back" value="{{back}}">{{/back}}<label for="reason-{{name}}" class="skip">Reason to pause {{name}}</label><input id="reason-{{name}}" name="reason" placeholder="reason" maxlength="500"><button type="submit" class="secondary" id="pause-{{name}}">Pause</button></form>{{/paused}}
            """,
        "bot": """
            <p><a href="/console/bots">← Bots</a></p>
            <h1>{{name}} <span class="status-{{status}}">{{status}}</span></h1>
            <dl class="figures card">
              <div><dt>Owner</dt><dd>{{owner}}</dd></div>
              <div><dt>Revision</dt><dd><code>{{revision}}</code></dd></div>
              <div><dt>Declared in</dt><dd><code>{{sourcePath}}</code></dd></div>
              <div><dt>Drift</dt><dd>{{#drift}}<span class="drift">{{drift}}</span>{{/drift}}{{^drift}}none{{/drift}}</dd></div>
            </dl>
            {{#isAdmin}}<div class="card">{{{pauseForm}}}
              <a class="button" href="/console/bots/{{name}}/keys/rotate">Rotate key…</a></div>{{/isAdmin}}
            <h2>Keys</h2>
            <div class="table-wrap"><table>
            <thead><tr><th scope="col">Key</th><th scope="col">State</th><th scope="col">Age</th><th scope="col">Next rotation</th><th scope="col">Origin</th>{{#isAdmin}}<th scope="col">Actions</th>{{/isAdmin}}</tr></thead>
            <tbody>{{#keys}}<tr><td><code>{{display}}</code> <span class="muted">{{id}}</span></td><td>{{state}}</td><td>{{age}}</td><td>{{nextRotation}}</td><td>{{origin}}</td>
              {{#isAdmin}}<td>{{#revocable}}<a href="/console/bots/{{bot}}/keys/{{id}}/revoke">Revoke…</a>{{/revocable}}</td>{{/isAdmin}}</tr>{{/keys}}</tbody>
            </table></div>
            <h2>Last 7 days</h2>
            {{{analytics}}}
            <h2>Recent conversations</h2>
            <div class="table-wrap"><table>
            <thead><tr><th scope="col">Conversation</th><th scope="col">Channel</th><th scope="col">Messages</th><th scope="col">Last active</th><th scope="col">Last message</th></tr></thead>
            <tbody>{{#conversations}}<tr><td><code>{{id}}</code></td><td>{{channel}}</td><td>{{messages}}</td><td>{{updated}}</td><td>{{last}}</td></tr>{{/conversations}}</tbody>
            </table></div>
            {{^conversations}}<p class="muted">No conversations yet.</p>{{/conversations}}
            """,
        "confirm": """
            <div class="card">
            <h1>{{heading}}</h1>
            <p>{{explanation}}</p>
            <form method="post" action="{{action}}">
              <input type="hidden" name="csrf" value="{{csrf}}">
              {{#revokeOld}}<label><input type="checkbox" name="revokeOld" value="true"> Revoke the current key at once (no grace period)</label>{{/revokeOld}}
              <p><button type="submit" class="danger" id="confirm">{{button}}</button> <a href="{{back}}">Cancel</a></p>
            </form>
            </div>
            """,
        "analytics": """
            <h1>Analytics</h1>
            <form class="filters card" method="get" action="/console/analytics" aria-label="Range">
              <div><label for="days">Range</label>
              <select id="days" name="days">{{#ranges}}{{> option}}{{/ranges}}</select></div>
              <div><button type="submit" class="secondary">Show</button></div>
              <div><a href="{{csv}}">Download the series as CSV</a></div>
            </form>
            {{{figures}}}
            """,
        "figures": """
            <dl class="figures card">
              <div><dt>Conversations</dt><dd>{{conversations}}</dd></div>
              <div><dt>Messages</dt><dd id="figure-messages">{{messages}}</dd></div>
              <div><dt>Unique clients</dt><dd>{{uniqueClients}}</dd></div>
              <div><dt>Answered</dt><dd>{{answered}}</dd></div>
              <div><dt>Low confidence</dt><dd>{{lowConfidence}}</dd></div>
              <div><dt>Rate-limited</dt><dd>{{rateLimited}}</dd></div>
              <div><dt>Errors</dt><dd>{{errors}}</dd></div>
              <div><dt>Average confidence</dt><dd>{{averageConfidence}}</dd></div>
              <div><dt>Knowledge hit rate</dt><dd>{{knowledgeHitRate}}</dd></div>
              <div><dt>Latency p50 / p95 / p99</dt><dd>{{latency}}</dd></div>
              <div><dt>Handoffs</dt><dd>{{handoffs}}</dd></div>
              <div><dt>Time to assignment p50 / p95</dt><dd>{{assignment}}</dd></div>
            </dl>
            <div class="charts">
              <figure class="card">{{{messagesChart}}}</figure>
              <figure class="card">{{{confidenceChart}}}</figure>
              <figure class="card">{{{latencyChart}}}</figure>
              <figure class="card">{{{slaChart}}}</figure>
            </div>
            <h2>Top unanswered questions</h2>
            <ol>{{#questions}}<li>{{question}} <span class="muted">({{count}})</span></li>{{/questions}}</ol>
            {{^questions}}<p class="muted">None in this range.</p>{{/questions}}
            """,
        "reconcile": """
            <h1>Reconcile</h1>
            <div class="grid">{{#conditions}}<section class="card"><h2>{{type}}: {{status}}</h2><p><strong>{{reason}}</strong></p><p>{{message}}</p></section>{{/conditions}}</div>
            <p class="muted">Applied revision <code>{{applied}}</code> from {{source}}.</p>
            <h2>Drift</h2>
            <div class="card">{{#hasDrift}}<ul>{{#drift}}<li><strong>{{kind}}</strong> {{object}}: {{message}}</li>{{/drift}}</ul>{{/hasDrift}}{{^drift}}<p>{{driftSummary}}</p>{{/drift}}</div>
            <h2>Runs</h2>
            <div class="table-wrap"><table>
            <thead><tr><th scope="col">Run</th><th scope="col">Revision</th><th scope="col">Outcome</th><th scope="col">Trigger</th><th scope="col">Changes</th><th scope="col">Finished</th></tr></thead>
            <tbody>{{#runs}}<tr><td>{{id}}</td><td><code>{{revision}}</code></td><td>{{outcome}}</td><td>{{trigger}}</td><td>{{changes}}</td><td>{{finished}}</td></tr>{{/runs}}</tbody>
            </table></div>
            <h2>Audit log</h2>
            <div class="table-wrap"><table>
            <thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Object</th><th scope="col" class="hide-narrow">Changes</th></tr></thead>
            <tbody>{{#audit}}<tr><td>{{at}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{object}}</td><td class="hide-narrow"><code>{{changes}}</code></td></tr>{{/audit}}</tbody>
            </table></div>
            """,
        "message": """
            <div class="card"><h1>{{heading}}</h1><p>{{text}}</p><p><a href="{{back}}">{{backLabel}}</a></p></div>
            """,
    ]
}
