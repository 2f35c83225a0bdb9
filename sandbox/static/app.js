/*
 * Deal Coach sandbox: the browser side of a local stand-in for Slack.
 *
 * The page long-polls /sandbox/api/state for everything one person can see and redraws the
 * parts that changed. Whatever the bot sent is untrusted: the DOM is built with createElement
 * and textContent only, never innerHTML, and links go through safeUrl().
 */
'use strict';

(() => {
  const API = '/sandbox/api/';

  // ------------------------------------------------------------------ small helpers

  /** Element builder: h('div', {class: 'x', onclick: f}, child, [children], 'text'). */
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (DOM_PROPS.has(key)) node[key] = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    append(node, children);
    return node;
  }
  const DOM_PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'multiple']);

  function append(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(node, child);
      else node.append(child instanceof Node ? child : String(child));
    }
  }

  const $ = (selector, root = document) => root.querySelector(selector);
  const list = (value) => (Array.isArray(value) ? value : []);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  let uidCounter = 0;
  const uid = (prefix) => `${prefix}-${++uidCounter}`;

  /** localStorage under one prefix; a browser that refuses storage just forgets. */
  const store = {
    get(key, fallback) {
      try {
        const raw = localStorage.getItem(`dealcoach-sandbox.${key}`);
        return raw === null ? fallback : JSON.parse(raw);
      } catch (_) {
        return fallback;
      }
    },
    set(key, value) {
      try {
        localStorage.setItem(`dealcoach-sandbox.${key}`, JSON.stringify(value));
      } catch (_) { /* private mode: nothing to remember */ }
    },
  };

  /** Only http(s), mailto and same-origin paths become links or image sources. */
  function safeUrl(raw) {
    if (typeof raw !== 'string' || !raw) return null;
    try {
      const url = new URL(raw, location.href);
      return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  // ------------------------------------------------------------------ page state

  const app = {
    as: null,                  // id of the person acted as
    state: null,               // the last state the server answered
    version: 0,
    conv: null,                // selected conversation id, or 'home'
    thread: null,              // ts of the parent whose thread is open (in app.conv)
    forms: new Map(),          // container key -> Form (what the person typed)
    clientErrors: new Map(),   // view id -> {block_id: text} from our checks or submit answers
    errorsSet: 0,              // bumped when clientErrors get new entries (clearing one redraws nothing)
    localNotices: [],          // errors of our own requests
    poll: null,                // AbortController of the running long-poll
    drawn: {},                 // region -> signature last drawn, to leave unchanged parts alone
    submitting: null,          // view id whose submit is in flight
    stickToBottom: false,      // the person just sent: show the end of the conversation
    menu: null,                // the open popup menu, if any
  };
  let localNoticeCounter = 0;

  /** True (and remembered) when a region's inputs differ from what was drawn last time. */
  function changed(region, ...inputs) {
    const signature = JSON.stringify(inputs);
    if (app.drawn[region] === signature) return false;
    app.drawn[region] = signature;
    return true;
  }

  // ------------------------------------------------------------------ server calls

  /** POST to the page API; an {ok:false} answer or a dead server becomes a notice. */
  async function post(path, body) {
    let answer;
    try {
      const response = await fetch(API + path, {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify(body),
      });
      answer = await response.json();
    } catch (err) {
      answer = {ok: false, error: `${path}: the sandbox server did not answer (${err.message})`};
    }
    if (!answer || answer.ok !== true) {
      notifyLocally((answer && answer.error) || `${path} failed`);
      return {ok: false, ...(answer || {})};
    }
    return answer;
  }

  /** The long-poll loop: one request at a time, restarted at once when the person changes. */
  async function pollForever() {
    for (;;) {
      const controller = new AbortController();
      app.poll = controller;
      const query = new URLSearchParams({since: String(app.version)});
      if (app.as) query.set('as', app.as);
      try {
        const response = await fetch(`${API}state?${query}`, {signal: controller.signal, cache: 'no-store'});
        const data = await response.json();
        if (controller.signal.aborted) continue;
        if (data.ok === false) {
          // An id remembered from an older sandbox may be gone: ask for the default person.
          if (app.version === 0 && app.as) app.as = null;
          else notifyLocally(data.error || 'the sandbox state could not be read');
          await sleep(1000);
          continue;
        }
        receive(data);
      } catch (_) {
        if (!controller.signal.aborted) await sleep(1000);
      }
    }
  }

  function receive(data) {
    if (!Array.isArray(data.people) || typeof data.version !== 'number') return; // nothing new
    app.state = data;
    app.version = data.version;
    if (data.me && data.me !== app.as) rememberPerson(data.me);
    render();
  }

  // ------------------------------------------------------------------ people and time

  function personById(id) {
    const state = app.state;
    if (!state) return null;
    if (state.bot && id === state.bot.id) {
      return {id, real_name: state.bot.name, color: state.bot.color, bot: true};
    }
    return list(state.people).find((p) => p.id === id) || null;
  }

  function displayName(id) {
    const who = personById(id);
    return who ? who.real_name || who.name || id : id;
  }

  function initials(name) {
    const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
    return words.slice(0, 2).map((w) => Array.from(w)[0].toUpperCase()).join('') || '?'; // whole code points
  }

  /** The acting person's time zone if the browser knows it, else the browser's own. */
  function personZone() {
    const zone = (personById(app.as) || {}).tz;
    if (!zone) return undefined;
    try {
      new Intl.DateTimeFormat('en', {timeZone: zone});
      return zone;
    } catch (_) {
      return undefined;
    }
  }

  const formatters = new Map();
  function formatTs(ts, options) {
    const zone = personZone();
    const key = JSON.stringify([options, zone]);
    if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat('en-GB', {...options, timeZone: zone}));
    return formatters.get(key).format(new Date(parseFloat(ts) * 1000));
  }
  const timeOf = (ts) => formatTs(ts, {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'});
  const dayOf = (ts) => formatTs(ts, {weekday: 'long', day: 'numeric', month: 'long', year: 'numeric'});

  /** Unix seconds -> "YYYY-MM-DDTHH:MM" on the wall clock of the acting person. */
  function wallClock(seconds) {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: personZone(), year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(new Date(seconds * 1000));
    const p = Object.fromEntries(parts.map((part) => [part.type, part.value]));
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
  }

  /** The inverse of wallClock: a few corrections converge across any zone offset. */
  function unixFromWall(wall) {
    const target = Date.parse(`${wall}:00Z`);
    let guess = target;
    for (let i = 0; i < 3; i++) guess += target - Date.parse(`${wallClock(guess / 1000)}:00Z`);
    return Math.round(guess / 1000);
  }

  // ------------------------------------------------------------------ text objects and mrkdwn

  const EMOJI = {
    white_check_mark: '✅', warning: '⚠️', zzz: '💤', tada: '🎉', bulb: '💡', calendar: '📅',
    chart_with_upwards_trend: '📈', chart_with_downwards_trend: '📉', hourglass: '⌛',
    hourglass_flowing_sand: '⏳', question: '❓', x: '❌', heavy_check_mark: '✔️', memo: '📝',
    dart: '🎯', rotating_light: '🚨', wave: '👋', thumbsup: '👍', '+1': '👍', eyes: '👀',
    fire: '🔥', star: '⭐', bell: '🔔', smile: '😄', slightly_smiling_face: '🙂',
    information_source: 'ℹ️', spiral_calendar_pad: '🗓️', trophy: '🏆', muscle: '💪',
  };
  const emojify = (text) => String(text).replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);

  /** Slack's three escapes, decoded exactly once ("&amp;lt;" stays "&lt;"). */
  const ENTITIES = {amp: '&', lt: '<', gt: '>'};
  const decode = (text) => String(text).replace(/&(amp|lt|gt);/g, (m, name) => ENTITIES[name]);

  /** A text object as one plain string, for places that hold no markup (options, labels). */
  function flatText(obj) {
    if (!obj) return '';
    if (typeof obj === 'string') return obj;
    if (obj.type === 'mrkdwn') {
      const labelled = String(obj.text || '').replace(/<([^<>\n]+)>/g, (m, token) => angleText(token));
      return emojify(decode(labelled));
    }
    return obj.emoji === false ? String(obj.text || '') : emojify(obj.text || '');
  }

  /** A text object as DOM: mrkdwn is parsed, plain_text shown as written. */
  function textObject(obj, className) {
    if (obj && obj.type === 'mrkdwn') return mrkdwn(obj.text, className);
    return h('span', {class: className || 'plain-text', dir: 'auto'}, flatText(obj));
  }

  /** mrkdwn: ``` fences, then quote lines, then inline formatting per line. */
  function mrkdwn(text, className) {
    const root = h('div', {class: `mrkdwn ${className || ''}`.trim(), dir: 'auto'});
    const parts = String(text || '').split('```');
    parts.forEach((part, i) => {
      const fenced = i % 2 === 1 && i < parts.length - 1; // an unclosed fence stays text
      if (fenced) root.append(h('pre', {class: 'pre', dir: 'auto'}, flatText({type: 'mrkdwn', text: part.replace(/^\n/, '')})));
      else appendLines(root, i % 2 === 1 ? '```' + part : part);
    });
    return root;
  }

  const QUOTE = /^(?:>|&gt;) ?/;
  const QUOTE_REST = /^(?:>|&gt;){3} ?/; // ">>>" quotes everything after it

  function appendLines(root, text) {
    const lines = text.split('\n');
    let quote = null;
    let lineStarted = false; // whether the running paragraph needs a newline before the next line
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (QUOTE_REST.test(line)) {
        const rest = [line.replace(QUOTE_REST, ''), ...lines.slice(i + 1)].join('\n');
        root.append(h('blockquote', null, inline(rest)));
        return;
      }
      if (QUOTE.test(line)) {
        if (quote) quote.append('\n');
        else root.append((quote = h('blockquote')));
        append(quote, inline(line.replace(QUOTE, '')));
        lineStarted = false;
        continue;
      }
      quote = null;
      if (lineStarted) root.append('\n');
      append(root, inline(line));
      lineStarted = true;
    }
  }

  const MARKS = {'*': 'strong', '_': 'em', '~': 's'};
  const WORD = /[\p{L}\p{N}]/u;

  /** Inline mrkdwn: <tokens>, `code`, *bold*, _italic_, ~strike~ (nested), then plain text. */
  function inline(s) {
    const nodes = [];
    let text = '';
    const flush = () => {
      if (text) nodes.push(...plainNodes(text));
      text = '';
    };
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === '<') {
        const end = s.indexOf('>', i + 1);
        const token = end > i + 1 ? s.slice(i + 1, end) : '';
        if (token && !/[<\n]/.test(token)) {
          flush();
          nodes.push(angle(token));
          i = end;
          continue;
        }
      } else if (c === '`') {
        const end = s.indexOf('`', i + 1);
        if (end > i + 1) {
          flush();
          nodes.push(h('code', {class: 'code'}, flatText({type: 'mrkdwn', text: s.slice(i + 1, end)})));
          i = end;
          continue;
        }
      } else if (MARKS[c] && canOpen(s, i)) {
        const end = findCloser(s, i + 1, c);
        if (end > 0) {
          flush();
          nodes.push(h(MARKS[c], null, inline(s.slice(i + 1, end))));
          i = end;
          continue;
        }
      }
      text += c;
    }
    flush();
    return nodes;
  }

  function canOpen(s, i) {
    const before = i === 0 ? ' ' : s[i - 1];
    const after = s[i + 1];
    return after !== undefined && !/\s/.test(after) && !WORD.test(before);
  }

  /** The closing mark on the same line, skipping <tokens> and `code` whose text may hold one. */
  function findCloser(s, from, mark) {
    for (let j = from; j < s.length; j++) {
      const c = s[j];
      if (c === '\n') return -1;
      if (c === '<' || c === '`') {
        const end = s.indexOf(c === '<' ? '>' : '`', j + 1);
        if (end > 0) {
          j = end;
          continue;
        }
      }
      if (c === mark && j > from && !/\s/.test(s[j - 1]) && !WORD.test(s[j + 1] || ' ')) return j;
    }
    return -1;
  }

  /** Plain text: entities decoded, emoji shortcodes mapped, bare web addresses linked. */
  function plainNodes(raw) {
    const text = emojify(decode(raw));
    return text.split(/(https?:\/\/[^\s<>]+)/).map((piece, i) => (i % 2 ? link(piece, null) : piece));
  }

  function link(url, label) {
    const href = safeUrl(decode(url));
    const shown = label ? emojify(decode(label)) : decode(url);
    if (!href) return document.createTextNode(shown);
    return h('a', {href, target: '_blank', rel: 'noopener noreferrer'}, shown);
  }

  function chip(text, extraClass) {
    return h('span', {class: `mention ${extraClass || ''}`.trim()}, text);
  }

  function userChip(id) {
    return chip(`@${displayName(id)}`, id === app.as ? 'mention-me' : '');
  }

  function channelChip(id, label) {
    const known = list(app.state && app.state.channels).find((c) => c.id === id);
    return chip(`#${known ? known.name : label ? decode(label) : id}`);
  }

  /** <...> tokens: mentions, channels, specials, links. */
  function angle(token) {
    const bar = token.indexOf('|');
    const target = bar < 0 ? token : token.slice(0, bar);
    const label = bar < 0 ? null : token.slice(bar + 1);
    if (target[0] === '@') return userChip(target.slice(1));
    if (target[0] === '#') return channelChip(target.slice(1), label);
    if (target[0] === '!') {
      const name = target.slice(1);
      if (['here', 'channel', 'everyone'].includes(name)) return chip(`@${name}`, 'mention-me');
      return document.createTextNode(label ? decode(label) : `<${decode(name)}>`);
    }
    return link(target, label);
  }

  /** What a token reads as in flat text (options, code, pre). */
  function angleText(token) {
    const bar = token.indexOf('|');
    const target = bar < 0 ? token : token.slice(0, bar);
    const label = bar < 0 ? null : token.slice(bar + 1);
    if (target[0] === '@') return `@${displayName(target.slice(1))}`;
    if (target[0] === '#') return `#${label || target.slice(1)}`;
    if (target[0] === '!') return label || `@${target.slice(1)}`;
    return label || target;
  }

  // ------------------------------------------------------------------ rich_text

  const RICH_BLOCKS = {
    rich_text_section: (e) => h('div', {class: 'rt-section'}, richInline(e.elements)),
    rich_text_quote: (e) => h('blockquote', null, richInline(e.elements)),
    rich_text_preformatted: (e) => h('pre', {class: 'pre'}, richInline(e.elements)),
    rich_text_list: (e) => {
      const node = h(e.style === 'ordered' ? 'ol' : 'ul', {class: 'rt-list'},
        list(e.elements).map((item) => h('li', null, richInline(item.elements))));
      node.style.marginLeft = `${1.25 * (Number(e.indent) || 0)}em`;
      return node;
    },
  };

  const RICH_INLINE = {
    text: (e) => e.text,
    link: (e) => link(e.url, e.text || null),
    user: (e) => userChip(e.user_id),
    channel: (e) => channelChip(e.channel_id),
    usergroup: (e) => chip(`@${e.usergroup_id}`),
    broadcast: (e) => chip(`@${e.range}`, 'mention-me'),
    emoji: (e) => (e.unicode
      ? String.fromCodePoint(...e.unicode.split('-').map((hex) => parseInt(hex, 16)))
      : EMOJI[e.name] || `:${e.name}:`),
    date: (e) => e.fallback || String(e.timestamp),
    color: (e) => e.value,
  };

  function richInline(elements) {
    return list(elements).map((e) => {
      const render = RICH_INLINE[e.type];
      if (!render) return unsupported('element', e.type);
      let node = render(e);
      const style = e.style || {};
      if (style.code) node = h('code', {class: 'code'}, node);
      if (style.bold) node = h('strong', null, node);
      if (style.italic) node = h('em', null, node);
      if (style.strike) node = h('s', null, node);
      return node;
    });
  }

  function richText(block) {
    return h('div', {class: 'rich-text'}, list(block.elements).map((e) => {
      const render = RICH_BLOCKS[e.type];
      return render ? render(e) : unsupported('element', e.type);
    }));
  }

  function unsupported(kind, type) {
    return h('span', {class: 'unsupported'}, `[unsupported ${kind}: ${type}]`);
  }

  // ------------------------------------------------------------------ typed values (state.values)

  // Each stateful element: its field in state.values, the initial_* key that seeds it, and its empty value.
  const STATEFUL = {
    plain_text_input: ['value', 'initial_value', null],
    number_input: ['value', 'initial_value', null],
    email_text_input: ['value', 'initial_value', null],
    url_text_input: ['value', 'initial_value', null],
    datepicker: ['selected_date', 'initial_date', null],
    timepicker: ['selected_time', 'initial_time', null],
    datetimepicker: ['selected_date_time', 'initial_date_time', null],
    static_select: ['selected_option', 'initial_option', null],
    external_select: ['selected_option', 'initial_option', null],
    radio_buttons: ['selected_option', 'initial_option', null],
    checkboxes: ['selected_options', 'initial_options', []],
    multi_static_select: ['selected_options', 'initial_options', []],
    multi_external_select: ['selected_options', 'initial_options', []],
    users_select: ['selected_user', 'initial_user', null],
    multi_users_select: ['selected_users', 'initial_users', []],
    channels_select: ['selected_channel', 'initial_channel', null],
    multi_channels_select: ['selected_channels', 'initial_channels', []],
    conversations_select: ['selected_conversation', 'initial_conversation', null],
    multi_conversations_select: ['selected_conversations', 'initial_conversations', []],
  };

  /**
   * The values of one container (a view or a message). Like Slack, what the person typed
   * survives a redraw of the same view as long as the block keeps the same element.
   */
  class Form {
    constructor() {
      this.values = {};
      this.signatures = {};
      this.live = new Set();
    }

    begin() {
      this.live = new Set();
    }

    /** The element's state object (seeded from initial_* the first time it is drawn). */
    bind(blockId, element) {
      const spec = STATEFUL[element.type];
      if (!spec) return null;
      const [field, initialKey, empty] = spec;
      const actionId = element.action_id;
      const key = `${blockId}\n${actionId}`;
      const signature = JSON.stringify(element);
      const block = this.values[blockId] || (this.values[blockId] = {});
      if (!block[actionId] || this.signatures[key] !== signature) {
        const initial = element[initialKey];
        block[actionId] = {type: element.type, [field]: clone(initial === undefined ? empty : initial)};
        this.signatures[key] = signature;
      }
      this.live.add(key);
      return block[actionId];
    }

    /** Forget the values of elements the last draw no longer had. */
    end() {
      for (const [blockId, actions] of Object.entries(this.values)) {
        for (const actionId of Object.keys(actions)) {
          if (!this.live.has(`${blockId}\n${actionId}`)) delete actions[actionId];
        }
        if (!Object.keys(actions).length) delete this.values[blockId];
      }
    }

    get(blockId, actionId) {
      return (this.values[blockId] || {})[actionId] || null;
    }
  }

  function formFor(key) {
    if (!app.forms.has(key)) app.forms.set(key, new Form());
    return app.forms.get(key);
  }

  function isEmptyState(state) {
    if (!state) return true;
    const field = STATEFUL[state.type][0];
    const value = state[field];
    if (Array.isArray(value)) return value.length === 0;
    return value === null || value === undefined || (typeof value === 'string' && !value.trim());
  }

  // ------------------------------------------------------------------ actions

  /**
   * Record an element's new state and, where Slack would, send the block action.
   * ctx.sends says whether this element dispatches (actions block, accessory, dispatch_action).
   */
  function update(ctx, element, fields) {
    const state = ctx.form.get(ctx.blockId, element.action_id);
    if (state) Object.assign(state, fields);
    clearClientError(ctx);
    if (ctx.sends) return act(ctx, element, fields);
    return Promise.resolve(null);
  }

  /** Like Slack, an error found before submitting goes away once the person edits that input. */
  function clearClientError(ctx) {
    const errors = ctx.container.view_id && app.clientErrors.get(ctx.container.view_id);
    if (!errors || !(ctx.blockId in errors)) return;
    delete errors[ctx.blockId];
    const shown = document.querySelector(`#modal [data-block-id="${CSS.escape(ctx.blockId)}"] .block-error`);
    if (shown) shown.remove();
  }

  function act(ctx, element, extra) {
    const action = {
      type: element.type,
      action_id: element.action_id,
      block_id: ctx.blockId,
      action_ts: (Date.now() / 1000).toFixed(6),
      ...extra,
    };
    return post('action', {
      as: app.as,
      container: ctx.container,
      block_id: ctx.blockId,
      action_id: element.action_id,
      action,
      state: ctx.form.values,
    });
  }

  /** A confirm object as a browser confirm: true when there is none or the person agrees. */
  function confirmed(element) {
    const c = element.confirm;
    if (!c) return true;
    return window.confirm([flatText(c.title), flatText(c.text)].filter(Boolean).join('\n\n'));
  }

  // ------------------------------------------------------------------ elements

  function element(el, ctx) {
    const render = ELEMENTS[(el || {}).type];
    if (!render) return unsupported('element', (el || {}).type);
    const node = render(el, ctx);
    if (node instanceof Element && el.action_id && !node.dataset.actionId) node.dataset.actionId = el.action_id;
    return node;
  }

  function button(el, ctx) {
    const style = {primary: ' button-primary', danger: ' button-danger'}[el.style] || '';
    const node = h('button', {type: 'button', class: `button${style}`, dir: 'auto'}, flatText(el.text));
    node.addEventListener('click', async () => {
      if (!confirmed(el)) return;
      const href = safeUrl(el.url);
      if (href) window.open(href, '_blank', 'noopener');
      const extra = {text: el.text};
      if (el.value !== undefined) extra.value = el.value;
      node.disabled = true; // Slack ignores double clicks while the app answers
      await act(ctx, el, extra);
      node.disabled = false;
    });
    return node;
  }

  function staticChoices(el) {
    const toChoice = (option, group) => ({label: flatText(option.text), key: option.value, group, payload: option});
    if (Array.isArray(el.option_groups)) {
      return el.option_groups.flatMap((g) => list(g.options).map((o) => toChoice(o, flatText(g.label))));
    }
    return list(el.options).map((o) => toChoice(o, null));
  }

  function peopleChoices() {
    return list(app.state.people)
      .map((p) => ({label: p.real_name || p.name, key: p.id, payload: p.id}))
      .sort((a, b) => a.label.localeCompare(b.label));
  }

  function channelChoices() {
    return list(app.state.channels).map((c) => ({label: `#${c.name}`, key: c.id, payload: c.id}));
  }

  function conversationChoices() {
    return list(app.state.conversations).map((c) => ({
      label: c.kind === 'channel' ? `#${c.name}` : c.name, key: c.id, payload: c.id,
    }));
  }

  const keyOf = (payload) => (payload && typeof payload === 'object' ? payload.value : payload);

  /** A native <select> with a placeholder first and optgroups where choices carry a group. */
  function nativeSelect(el, choices, currentKey, excluded) {
    const select = h('select', {class: 'select'});
    select.append(h('option', {value: ''}, flatText(el.placeholder) || 'Select an item'));
    let group = null;
    choices.forEach((choice, index) => {
      if (excluded && excluded.has(choice.key)) return;
      const option = h('option', {value: String(index), selected: choice.key === currentKey}, choice.label);
      if (choice.group) {
        if (!group || group.label !== choice.group) select.append((group = h('optgroup', {label: choice.group})));
        group.append(option);
      } else {
        select.append(option);
      }
    });
    return select;
  }

  function singleSelect(choicesOf) {
    return (el, ctx) => {
      const choices = choicesOf(el);
      const field = STATEFUL[el.type][0];
      const state = ctx.form.bind(ctx.blockId, el);
      const select = nativeSelect(el, choices, keyOf(state[field]));
      select.addEventListener('change', () => {
        const choice = choices[Number(select.value)];
        if (choice) update(ctx, el, {[field]: choice.payload});
        else update({...ctx, sends: false}, el, {[field]: null}); // back to the placeholder
      });
      return select;
    };
  }

  /** Multi selects: chosen items as removable chips, and a select to add another. */
  function multiSelect(choicesOf) {
    return (el, ctx) => {
      const choices = choicesOf(el);
      const field = STATEFUL[el.type][0];
      const state = ctx.form.bind(ctx.blockId, el);
      const root = h('div', {class: 'multi-select'});
      const setChosen = (chosen) => {
        update(ctx, el, {[field]: chosen});
        draw();
      };
      const draw = () => {
        const chosen = list(state[field]);
        const chosenKeys = new Set(chosen.map(keyOf));
        root.replaceChildren(...chosen.map((payload) => {
          const choice = choices.find((c) => c.key === keyOf(payload));
          const label = choice ? choice.label : String(keyOf(payload));
          return h('span', {class: 'chip'}, label, h('button', {
            type: 'button', class: 'chip-remove', 'aria-label': `Remove ${label}`,
            onclick: () => setChosen(chosen.filter((p) => keyOf(p) !== keyOf(payload))),
          }, '×'));
        }));
        if (el.max_selected_items && chosen.length >= el.max_selected_items) return;
        const select = nativeSelect(el, choices, null, chosenKeys);
        select.addEventListener('change', () => {
          const choice = choices[Number(select.value)];
          if (choice) setChosen([...chosen, choice.payload]);
        });
        root.append(select);
      };
      draw();
      return root;
    };
  }

  /** external_select: a text box whose typing asks the app for options (api/suggest). */
  function externalSelect(el, ctx) {
    const state = ctx.form.bind(ctx.blockId, el);
    const shown = () => (state.selected_option ? flatText(state.selected_option.text) : '');
    const minLength = Number.isInteger(el.min_query_length) ? el.min_query_length : 1;
    const input = h('input', {
      type: 'text', class: 'input typeahead-input', autocomplete: 'off', role: 'combobox',
      'aria-expanded': 'false', placeholder: flatText(el.placeholder) || 'Type to search',
    });
    input.value = shown();
    const menu = h('ul', {class: 'typeahead-list', role: 'listbox', hidden: true});
    let timer = null;
    let asked = 0;
    let items = [];
    let active = -1;

    const close = () => {
      menu.hidden = true;
      input.setAttribute('aria-expanded', 'false');
    };
    const highlight = () => items.forEach((item, i) => item.node.classList.toggle('active', i === active));
    const choose = (option) => {
      close();
      update(ctx, el, {selected_option: option});
      input.value = shown();
    };
    const show = (options, groups) => {
      items = [];
      menu.replaceChildren();
      const add = (option) => {
        const node = h('li', {class: 'typeahead-item', role: 'option'}, flatText(option.text));
        node.addEventListener('mousedown', (event) => {
          event.preventDefault(); // keep focus, so blur does not undo the choice
          choose(option);
        });
        items.push({node, option});
        menu.append(node);
      };
      list(options).forEach(add);
      list(groups).forEach((g) => {
        menu.append(h('li', {class: 'typeahead-group', role: 'presentation'}, flatText(g.label)));
        list(g.options).forEach(add);
      });
      if (!items.length) menu.append(h('li', {class: 'typeahead-empty'}, 'No matches'));
      active = items.length ? 0 : -1;
      highlight();
      menu.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    };
    const ask = async () => {
      if (input.value.length < minLength) return close();
      const mine = ++asked;
      const answer = await post('suggest', {
        as: app.as, view_id: ctx.container.view_id || null, container: ctx.container,
        block_id: ctx.blockId, action_id: el.action_id, value: input.value,
      });
      // Only the newest question counts, and only while the box still has focus.
      if (mine === asked && answer.ok && document.activeElement === input) show(answer.options, answer.option_groups);
    };

    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(ask, 250);
    });
    input.addEventListener('focus', () => input.select());
    // With min_query_length 0 the list opens on a click or ArrowDown, not on the modal's autofocus.
    const askIfEmptyAllowed = () => {
      if (minLength === 0 && menu.hidden) ask();
    };
    input.addEventListener('click', askIfEmptyAllowed);
    input.addEventListener('blur', () => {
      clearTimeout(timer);
      close();
      if (!input.value.trim() && state.selected_option) update({...ctx, sends: false}, el, {selected_option: null});
      input.value = shown();
    });
    input.addEventListener('keydown', (event) => {
      if (menu.hidden) {
        if (event.key === 'ArrowDown') askIfEmptyAllowed();
        return;
      }
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : -1;
        active = (active + step + items.length) % Math.max(items.length, 1);
        highlight();
      } else if (event.key === 'Enter' && active >= 0) {
        event.preventDefault();
        choose(items[active].option);
      } else if (event.key === 'Escape') {
        event.stopPropagation(); // close the list, not the modal
        close();
      }
    });
    return h('div', {class: 'typeahead', dataset: {actionId: el.action_id}}, input, menu);
  }

  function overflow(el, ctx) {
    const node = h('button', {type: 'button', class: 'button overflow-button', 'aria-haspopup': 'menu', 'aria-label': 'More options'}, '⋯');
    node.addEventListener('click', () => openMenu(node, list(el.options).map((option) => ({
      label: flatText(option.text),
      run: () => {
        if (!confirmed(el)) return;
        const href = safeUrl(option.url);
        if (href) window.open(href, '_blank', 'noopener');
        act(ctx, el, {selected_option: option});
      },
    }))));
    return node;
  }

  /** Date, time and date-time pickers are native inputs; each change is one action. */
  function picker(inputType, field, toInput, fromInput) {
    return (el, ctx) => {
      const state = ctx.form.bind(ctx.blockId, el);
      const input = h('input', {type: inputType, class: 'input input-picker'});
      input.value = state[field] === null || state[field] === undefined ? '' : toInput(state[field]);
      input.addEventListener('change', () => update(ctx, el, {[field]: input.value ? fromInput(input.value) : null}));
      return input;
    };
  }

  function choiceList(multiple) {
    return (el, ctx) => {
      const field = multiple ? 'selected_options' : 'selected_option';
      const state = ctx.form.bind(ctx.blockId, el);
      const chosen = () => new Set(multiple ? list(state[field]).map(keyOf) : [keyOf(state[field])]);
      const name = uid('choice');
      const current = chosen();
      const inputs = [];
      const root = h('div', {class: 'choice-list', role: multiple ? 'group' : 'radiogroup'});
      list(el.options).forEach((option) => {
        // The option's value rides on the input too, as a hook for tests and assistive tools.
        const input = h('input', {type: multiple ? 'checkbox' : 'radio', name, value: option.value,
          checked: current.has(option.value)});
        inputs.push({input, option});
        input.addEventListener('change', () => {
          const picked = inputs.filter((i) => i.input.checked).map((i) => i.option);
          update(ctx, el, {[field]: multiple ? picked : picked[0] || null});
        });
        root.append(h('label', {class: 'choice'}, input, h('span', {class: 'choice-text'},
          textObject(option.text),
          option.description ? textObject(option.description, 'choice-description') : null)));
      });
      return root;
    };
  }

  /** Text-like inputs. With dispatch, Enter (or each character, if configured) sends the value. */
  function textInput(inputType) {
    return (el, ctx) => {
      const state = ctx.form.bind(ctx.blockId, el);
      const multiline = inputType === 'text' && el.multiline;
      const input = h(multiline ? 'textarea' : 'input', {
        class: 'input',
        type: multiline ? null : inputType,
        rows: multiline ? 4 : null,
        placeholder: flatText(el.placeholder) || null,
        maxlength: el.max_length || null,
        minlength: el.min_length || null,
        min: el.min_value !== undefined ? el.min_value : null,
        max: el.max_value !== undefined ? el.max_value : null,
        step: inputType === 'number' ? (el.is_decimal_allowed ? 'any' : '1') : null,
      });
      input.value = state.value || '';
      input.addEventListener('input', () => {
        state.value = input.value === '' ? null : input.value;
        clearClientError(ctx);
      });
      if (ctx.sends) {
        const triggers = ((el.dispatch_action_config || {}).trigger_actions_on) || ['on_enter_pressed'];
        let timer = null;
        if (triggers.includes('on_enter_pressed')) {
          input.addEventListener('keydown', (event) => {
            if (event.key === 'Enter' && !event.shiftKey && !multiline) {
              event.preventDefault();
              act(ctx, el, {value: state.value});
            }
          });
        }
        if (triggers.includes('on_character_entered')) {
          input.addEventListener('input', () => {
            clearTimeout(timer);
            timer = setTimeout(() => act(ctx, el, {value: state.value}), 400);
          });
        }
      }
      return input;
    };
  }

  function imageElement(el, className) {
    const src = safeUrl(el.image_url || (el.slack_file || {}).url);
    const alt = el.alt_text || '';
    if (!src) return h('span', {class: 'image-missing'}, `🖼 ${alt || 'image'}`);
    const img = h('img', {src, alt, class: className || 'element-image', loading: 'lazy'});
    img.addEventListener('error', () => img.replaceWith(h('span', {class: 'image-missing'}, `🖼 ${alt || 'image'}`)));
    return img;
  }

  const ELEMENTS = {
    button,
    overflow,
    static_select: singleSelect(staticChoices),
    users_select: singleSelect(peopleChoices),
    channels_select: singleSelect(channelChoices),
    conversations_select: singleSelect(conversationChoices),
    multi_static_select: multiSelect(staticChoices),
    multi_users_select: multiSelect(peopleChoices),
    multi_channels_select: multiSelect(channelChoices),
    multi_conversations_select: multiSelect(conversationChoices),
    external_select: externalSelect,
    datepicker: picker('date', 'selected_date', (v) => v, (v) => v),
    timepicker: picker('time', 'selected_time', (v) => v, (v) => v),
    datetimepicker: picker('datetime-local', 'selected_date_time', wallClock, unixFromWall),
    radio_buttons: choiceList(false),
    checkboxes: choiceList(true),
    plain_text_input: textInput('text'),
    number_input: textInput('number'),
    email_text_input: textInput('email'),
    url_text_input: textInput('url'),
    image: (el) => imageElement(el),
  };

  // ------------------------------------------------------------------ blocks

  function section(block, ctx) {
    const body = h('div', {class: 'section-body'},
      block.text ? textObject(block.text) : null,
      Array.isArray(block.fields)
        ? h('div', {class: 'section-fields'}, block.fields.map((f) => h('div', {class: 'section-field'}, textObject(f))))
        : null);
    const accessory = block.accessory
      ? h('div', {class: 'accessory'}, block.accessory.type === 'image'
        ? imageElement(block.accessory, 'accessory-image')
        : element(block.accessory, {...ctx, sends: true}))
      : null;
    return h('div', {class: 'section'}, body, accessory);
  }

  function inputBlock(block, ctx) {
    // In a view, an input's element acts only with dispatch_action; in a message, never.
    const sends = ctx.container.type === 'view' && block.dispatch_action === true;
    const control = element(block.element || {}, {...ctx, sends});
    const focusable = control.matches('input, select, textarea') ? control : control.querySelector('input, select, textarea');
    const id = uid('input');
    if (focusable && !focusable.id) focusable.id = id;
    const labelTarget = focusable && !focusable.matches('[type=radio], [type=checkbox]') ? focusable.id : null;
    const error = (ctx.errors || {})[ctx.blockId];
    return [
      h('label', {class: 'block-label', for: labelTarget, dir: 'auto'},
        flatText(block.label), block.optional ? h('span', {class: 'optional'}, ' (optional)') : null),
      control,
      block.hint ? h('div', {class: 'block-hint', dir: 'auto'}, flatText(block.hint)) : null,
      error ? h('div', {class: 'block-error', role: 'alert', dir: 'auto'}, String(error)) : null,
    ];
  }

  function imageBlock(block) {
    return [
      block.title ? h('div', {class: 'image-title', dir: 'auto'}, flatText(block.title)) : null,
      imageElement(block, 'image-block-img'),
    ];
  }

  function contextBlock(block) {
    return h('div', {class: 'context'}, list(block.elements).map((e) => {
      if (e.type === 'image') return imageElement(e, 'context-image');
      if (e.type === 'mrkdwn' || e.type === 'plain_text') return textObject(e, 'context-text');
      return unsupported('element', e.type);
    }));
  }

  const BLOCKS = {
    section,
    input: inputBlock,
    image: imageBlock,
    context: contextBlock,
    rich_text: richText,
    header: (block) => h('h3', {class: 'header-block', dir: 'auto'}, flatText(block.text)),
    divider: () => h('hr', {class: 'divider'}),
    actions: (block, ctx) => h('div', {class: 'actions'}, list(block.elements).map((e) => element(e, {...ctx, sends: true}))),
    file: (block) => h('div', {class: 'file-card'}, `📎 ${block.external_id || 'file'}`),
  };

  /**
   * Blocks of one container. ctx: {form, container, errors}. A block that fails to render
   * shows as an unsupported box instead of taking the page down.
   */
  function renderBlocks(blocks, ctx) {
    ctx.form.begin();
    const nodes = list(blocks).map((given, index) => {
      const block = given && typeof given === 'object' ? given : {type: typeof given};
      // Slack fills in missing block ids; the server should too, this is a last resort.
      const blockId = block.block_id || `_block_${index}`;
      const render = BLOCKS[block.type];
      let inner;
      try {
        inner = render ? render(block, {...ctx, blockId}) : unsupported('block', block.type);
      } catch (err) {
        console.error('block failed to render', block, err);
        inner = unsupported('block', `${block.type} (${err.message})`);
      }
      return h('div', {class: `block block-${block.type}`, dataset: {blockId}}, inner);
    });
    ctx.form.end();
    return nodes;
  }

  /**
   * Redraw a region that holds inputs, putting focus and caret back on the same element
   * (found again by message ts, block id and action id), so a redraw never eats typing.
   */
  function redrawKeepingFocus(root, draw) {
    const active = document.activeElement;
    const spot = active && root.contains(active) ? focusSpot(active) : null;
    draw();
    if (!spot) return;
    const scope = spot.ts ? root.querySelector(`[data-ts="${CSS.escape(spot.ts)}"]`) : root;
    const block = scope && scope.querySelector(`[data-block-id="${CSS.escape(spot.block)}"]`);
    const action = block && block.querySelector(`[data-action-id="${CSS.escape(spot.action)}"]`);
    const target = action && (action.matches('input, select, textarea') ? action : action.querySelector('input, select, textarea'));
    if (!target) return;
    target.focus();
    // A typeahead's query is not state until an option is chosen: carry it over by hand.
    if (spot.query !== null && target.classList.contains('typeahead-input')) target.value = spot.query;
    try {
      if (spot.start !== null && spot.start !== undefined) target.setSelectionRange(spot.start, spot.end);
    } catch (_) { /* inputs without a caret (date, number) */ }
  }

  function focusSpot(active) {
    const block = active.closest('[data-block-id]');
    const action = active.closest('[data-action-id]');
    if (!block || !action) return null;
    const message = active.closest('[data-ts]');
    return {
      ts: message ? message.dataset.ts : null, block: block.dataset.blockId, action: action.dataset.actionId,
      start: active.selectionStart, end: active.selectionEnd,
      query: active.classList.contains('typeahead-input') ? active.value : null,
    };
  }

  // ------------------------------------------------------------------ messages

  const conversation = (id) => list(app.state.conversations).find((c) => c.id === id) || null;
  const messagesOf = (convId) => list((app.state.messages || {})[convId]);
  const isReply = (m) => Boolean(m.thread_ts) && m.thread_ts !== m.ts;
  const repliesTo = (convId, ts) => messagesOf(convId).filter((m) => m.thread_ts === ts && m.ts !== ts);

  function author(message) {
    if (message.bot) {
      const bot = app.state.bot || {};
      return {name: bot.name || 'App', color: bot.color, bot: true};
    }
    const who = personById(message.user);
    return {name: who ? who.real_name : message.user || 'Someone', color: who && who.color, bot: false};
  }

  function avatar(who, size) {
    const node = h('span', {class: `avatar${who.bot ? ' avatar-bot' : ''}${size ? ` avatar-${size}` : ''}`, 'aria-hidden': 'true'}, initials(who.name));
    if (who.color && /^#[0-9a-f]{3,8}$/i.test(who.color)) node.style.background = who.color;
    return node;
  }

  function filesNode(files) {
    return h('div', {class: 'files'}, files.map((file) => {
      const href = safeUrl(file.url);
      const name = file.title || file.name || 'file';
      if (href && String(file.mimetype || '').startsWith('image/')) {
        return h('figure', {class: 'file-image'},
          h('a', {href, target: '_blank', rel: 'noopener noreferrer'}, imageElement({image_url: href, alt_text: name}, 'message-image')),
          h('figcaption', null, name));
      }
      return h(href ? 'a' : 'span', {class: 'file-card', href, target: href ? '_blank' : null, rel: 'noopener noreferrer'},
        h('span', {class: 'file-icon', 'aria-hidden': 'true'}, '📄'),
        h('span', null, h('span', {class: 'file-name'}, name), h('span', {class: 'file-type'}, file.mimetype || '')));
    }));
  }

  /** One message. opts: {convId, compact, inThread}. */
  function messageNode(message, opts) {
    const who = author(message);
    const container = {type: 'message', channel: opts.convId, ts: message.ts};
    const form = formFor(`message:${opts.convId}:${message.ts}`);
    const content = Array.isArray(message.blocks) && message.blocks.length
      ? h('div', {class: 'blocks'}, renderBlocks(message.blocks, {form, container, errors: null}))
      : mrkdwn(message.text || '', 'message-text');

    const thread = (!opts.inThread && opts.threads && opts.threads.get(message.ts)) || {count: 0, last: null};
    const replyCount = opts.inThread ? 0 : Math.max(thread.count, message.reply_count || 0);
    const body = h('div', {class: 'message-body'},
      opts.compact ? null : h('div', {class: 'message-meta'},
        h('span', {class: 'message-author'}, who.name),
        who.bot ? h('span', {class: 'app-badge'}, 'APP') : null,
        h('time', {class: 'message-time', datetime: new Date(parseFloat(message.ts) * 1000).toISOString()}, timeOf(message.ts))),
      message.ephemeral ? h('div', {class: 'ephemeral-note'}, '👁 Only visible to you') : null,
      content,
      message.edited ? h('span', {class: 'edited'}, '(edited)') : null,
      list(message.files).length ? filesNode(message.files) : null,
      replyCount ? h('div', {class: 'thread-summary'},
        h('button', {type: 'button', class: 'thread-link', onclick: () => openThread(message.ts)},
          `${replyCount} ${replyCount === 1 ? 'reply' : 'replies'}`),
        thread.last ? h('span', {class: 'thread-last'}, `Last reply ${timeOf(thread.last)}`) : null) : null);

    const classes = ['message', opts.compact && 'compact', message.ephemeral && 'ephemeral'].filter(Boolean).join(' ');
    // data-user names the author even on a compact message that shows no name.
    return h('div', {class: classes, dataset: {ts: message.ts, user: message.user || ''}},
      h('div', {class: 'message-gutter'}, opts.compact ? h('span', {class: 'gutter-time'}, timeOf(message.ts)) : avatar(who)),
      body,
      message.ephemeral ? null : messageToolbar(message, opts));
  }

  function messageToolbar(message, opts) {
    const canReply = !opts.inThread && !isReply(message);
    return h('div', {class: 'message-actions'},
      canReply ? h('button', {type: 'button', class: 'toolbar-button reply-button', title: 'Reply in thread', onclick: () => openThread(message.ts)}, 'Reply') : null,
      h('button', {
        type: 'button', class: 'toolbar-button message-menu', title: 'More actions', 'aria-label': 'More actions', 'aria-haspopup': 'menu',
        onclick: (event) => openMessageMenu(event.currentTarget, message, opts, canReply),
      }, '⋯'));
  }

  function openMessageMenu(anchor, message, opts, canReply) {
    const shortcuts = list(app.state.shortcuts).filter((s) => s.type === 'message');
    const items = shortcuts.map((s) => ({
      label: s.name,
      hint: 'Deal Coach',
      data: {callbackId: s.callback_id},
      run: () => post('shortcut', {as: app.as, channel: opts.convId, ts: message.ts, callback_id: s.callback_id}),
    }));
    if (canReply) items.push({label: 'Reply in thread', run: () => openThread(message.ts)});
    openMenu(anchor, items, shortcuts.length ? 'Message shortcuts' : 'No message shortcuts');
  }

  /** Per parent ts: how many replies it has and when the last one came, in one pass. */
  function threadSummaries(messages) {
    const threads = new Map();
    for (const m of messages) {
      if (!isReply(m)) continue;
      const entry = threads.get(m.thread_ts) || {count: 0, last: null};
      entry.count += 1;
      entry.last = m.ts;
      threads.set(m.thread_ts, entry);
    }
    return threads;
  }

  /** A list of messages with day dividers; consecutive ones by the same author within 5 minutes are compact. */
  function messageList(messages, convId, inThread, threads) {
    const nodes = [];
    let previous = null;
    for (const message of messages) {
      const day = dayOf(message.ts);
      if (!inThread && (!previous || dayOf(previous.ts) !== day)) {
        nodes.push(h('div', {class: 'day-divider', role: 'separator'}, h('span', null, day)));
      }
      const compact = Boolean(previous) && !message.ephemeral && !previous.ephemeral
        && previous.user === message.user && previous.bot === message.bot
        && dayOf(previous.ts) === day && parseFloat(message.ts) - parseFloat(previous.ts) < 300;
      nodes.push(messageNode(message, {convId, compact, inThread, threads}));
      previous = message;
    }
    return nodes;
  }

  /** Redraw a scrolling pane, staying at the bottom if the person was there (images load late). */
  function redrawScrolled(pane, nodes, forceBottom) {
    const atBottom = forceBottom || pane.scrollHeight - pane.scrollTop - pane.clientHeight < 60;
    const scrollTop = pane.scrollTop;
    pane.replaceChildren(...nodes);
    if (!atBottom) {
      pane.scrollTop = scrollTop;
      return;
    }
    pane.scrollTop = pane.scrollHeight;
    pane.querySelectorAll('img').forEach((img) => img.addEventListener('load', () => {
      pane.scrollTop = pane.scrollHeight;
    }, {once: true}));
  }

  function renderMessages() {
    const pane = $('#messages');
    const convId = app.conv;
    const messages = messagesOf(convId);
    const firstDraw = app.drawn.messagesConv !== convId || app.stickToBottom;
    if (!changed('messages', convId, messages, app.state.people, app.state.channels, app.as)) return;
    app.drawn.messagesConv = convId;
    app.stickToBottom = false;
    const conv = conversation(convId) || {};
    const top = messages.filter((m) => !isReply(m));
    const intro = h('div', {class: 'conversation-intro'},
      h('h2', null, conv.kind === 'channel' ? `#${conv.name}` : conv.name),
      h('p', null, conv.kind === 'channel'
        ? `This is the very beginning of the #${conv.name} channel.`
        : `This is the very beginning of your direct messages with ${conv.name}.`));
    const threads = threadSummaries(messages);
    redrawKeepingFocus(pane, () => redrawScrolled(pane, [intro, ...messageList(top, convId, false, threads)], firstDraw));
  }

  function openThread(ts) {
    app.thread = ts;
    app.drawn.thread = null;
    renderThread();
    $('#thread-composer').focus();
  }

  function closeThread() {
    app.thread = null;
    renderThread();
  }

  function renderThread() {
    const pane = $('#thread');
    const parent = app.thread && app.conv !== 'home' ? messagesOf(app.conv).find((m) => m.ts === app.thread) : null;
    if (!parent) {
      app.thread = null;
      pane.hidden = true;
      app.drawn.thread = null;
      return;
    }
    pane.hidden = false;
    const replies = repliesTo(app.conv, parent.ts);
    const firstDraw = app.drawn.threadTs !== parent.ts;
    if (!changed('thread', app.conv, parent, replies, app.state.people, app.as)) return;
    app.drawn.threadTs = parent.ts;
    const conv = conversation(app.conv) || {};
    $('#thread-subtitle').textContent = conv.kind === 'channel' ? `#${conv.name}` : conv.name || '';
    const count = replies.length;
    const threadList = $('#thread-messages');
    redrawKeepingFocus(threadList, () => redrawScrolled(threadList, [
      messageNode(parent, {convId: app.conv, compact: false, inThread: true}),
      h('div', {class: 'thread-count'}, h('span', null, count ? `${count} ${count === 1 ? 'reply' : 'replies'}` : 'No replies yet')),
      ...messageList(replies, app.conv, true),
    ], firstDraw));
  }

  // ------------------------------------------------------------------ sidebar and conversations

  function seenMap() {
    return store.get(`seen.${app.as}`, {});
  }

  /** The newest message someone else wrote in a conversation (what makes it unread). */
  function latestFromOthers(convId) {
    let latest = 0;
    for (const m of messagesOf(convId)) {
      if (m.bot || m.user !== app.as) latest = Math.max(latest, parseFloat(m.ts));
    }
    return latest;
  }

  function markSeen(convId) {
    if (!convId || convId === 'home') return;
    const seen = seenMap();
    const latest = latestFromOthers(convId);
    if (latest && (seen[convId] || 0) < latest) {
      seen[convId] = latest;
      store.set(`seen.${app.as}`, seen);
    }
  }

  function isUnread(convId, seen) {
    return convId !== app.conv && latestFromOthers(convId) > (seen[convId] || 0);
  }

  function sidebarItem(convId, content, unread) {
    return h('li', null, h('button', {
      type: 'button',
      class: `conv-item${convId === app.conv ? ' active' : ''}${unread ? ' unread' : ''}`,
      dataset: {conv: convId},
      'aria-current': convId === app.conv ? 'page' : null,
      onclick: () => selectConv(convId),
    }, content, unread ? h('span', {class: 'unread-dot', 'aria-label': 'new messages'}) : null));
  }

  function renderSidebar() {
    const seen = seenMap();
    const conversations = list(app.state.conversations);
    const unread = Object.fromEntries(conversations.map((c) => [c.id, isUnread(c.id, seen)]));
    if (!changed('sidebar', app.conv, conversations, unread, app.state.bot, app.state.people)) return;
    const bot = app.state.bot || {};
    const channels = conversations.filter((c) => c.kind === 'channel');
    const direct = conversations.filter((c) => c.kind !== 'channel');
    const heading = (text) => h('h2', {class: 'sidebar-heading'}, text);
    $('#sidebar').replaceChildren(
      heading('Apps'),
      h('ul', {class: 'sidebar-list'}, sidebarItem('home', [
        avatar({name: bot.name, color: bot.color, bot: true}, 'small'),
        h('span', {class: 'conv-name'}, `${bot.name || 'App'} · Home`),
      ], false)),
      heading('Channels'),
      h('ul', {class: 'sidebar-list'}, channels.map((c) => sidebarItem(c.id, [
        h('span', {class: 'conv-hash', 'aria-hidden': 'true'}, '#'), h('span', {class: 'conv-name'}, c.name),
      ], unread[c.id]))),
      heading('Direct messages'),
      h('ul', {class: 'sidebar-list'}, direct.map((c) => {
        const other = personById(c.user);
        const who = other ? {name: other.real_name, color: other.color, bot: Boolean(other.bot)} : {name: c.name};
        return sidebarItem(c.id, [avatar(who, 'small'), h('span', {class: 'conv-name'}, c.name)], unread[c.id]);
      })));
  }

  /** Pick a valid conversation: the one remembered for this person, else the DM with the app. */
  function ensureConv() {
    const valid = (id) => id === 'home' || Boolean(conversation(id));
    if (app.conv && valid(app.conv)) return;
    const remembered = store.get(`conv.${app.as}`, null);
    const botDm = list(app.state.conversations).find((c) => c.kind === 'im' && c.user === (app.state.bot || {}).id);
    const fallback = botDm || list(app.state.conversations)[0];
    selectConv(valid(remembered) ? remembered : fallback ? fallback.id : 'home', true);
  }

  function selectConv(convId, quiet) {
    const switched = convId !== app.conv;
    app.conv = convId;
    store.set(`conv.${app.as}`, convId);
    if (switched) app.thread = null;
    // The app hears "app_home_opened" every time its Home tab is shown.
    if (convId === 'home') post('home', {as: app.as});
    if (!quiet) {
      render();
      if (convId !== 'home') $('#composer').focus();
    }
  }

  function renderPane() {
    const home = app.conv === 'home';
    const conv = home ? null : conversation(app.conv) || {};
    const bot = app.state.bot || {};
    $('#home').hidden = !home;
    $('#messages').hidden = home;
    $('#composer-box').hidden = home;
    $('#main').classList.toggle('main-home', home);
    if (changed('paneHeader', app.conv, conv, bot)) {
      const title = $('#conv-title');
      if (home) title.replaceChildren(bot.name || 'App', h('span', {class: 'app-badge'}, 'APP'));
      else if (conv.kind === 'channel') title.replaceChildren(h('span', {class: 'conv-hash'}, '#'), conv.name);
      else title.replaceChildren(conv.name || '');
      $('#conv-subtitle').textContent = home ? 'Home' : conv.kind === 'channel' ? 'Channel' : 'Direct message';
      $('#composer').placeholder = conv && conv.kind === 'channel' ? `Message #${conv.name}` : `Message ${conv ? conv.name : ''}`;
    }
    if (home) renderHome();
    else {
      app.drawn.home = null;
      renderMessages();
      markSeen(app.conv);
    }
  }

  function renderHome() {
    const home = app.state.home;
    if (!changed('home', home, app.state.people, app.as)) return;
    const root = $('#home');
    if (!home) {
      root.replaceChildren(h('div', {class: 'empty-state'},
        h('p', null, `${(app.state.bot || {}).name || 'The app'} has not published a Home tab for you yet`)));
      return;
    }
    redrawKeepingFocus(root, () => {
      root.replaceChildren(h('div', {class: 'home-view'}, renderBlocks(home.blocks, {
        form: formFor(home.id), container: {type: 'view', view_id: home.id}, errors: home.errors || null,
      })));
    });
  }

  // ------------------------------------------------------------------ modals

  const topModal = () => {
    const stack = list(app.state && app.state.modals);
    return stack[stack.length - 1] || null;
  };

  function renderModal() {
    const root = $('#modal');
    const stack = list(app.state.modals);
    const view = topModal();
    placeNotices(Boolean(view));
    if (!view) {
      root.hidden = true;
      app.drawn.modal = null;
      return;
    }
    const errors = {...(view.errors || {}), ...(app.clientErrors.get(view.id) || {})};
    const opening = root.hidden || app.drawn.modalId !== view.id;
    if (changed('modal', view, stack.length, app.errorsSet, app.state.people)) {
      app.drawn.modalId = view.id;
      root.hidden = false;
      $('.modal-title', root).textContent = flatText(view.title) || 'App';
      $('.modal-back', root).hidden = stack.length < 2;
      const body = $('.modal-body', root);
      redrawKeepingFocus(body, () => body.replaceChildren(...renderBlocks(view.blocks, {
        form: formFor(view.id), container: {type: 'view', view_id: view.id}, errors,
      })));
      const submit = $('.modal-submit', root);
      submit.hidden = !view.submit;
      submit.textContent = flatText(view.submit) || 'Submit';
      $('.modal-close', root).textContent = flatText(view.close) || 'Cancel';
      if (opening) {
        body.scrollTop = 0;
        const first = body.querySelector('input, select, textarea');
        if (first) first.focus();
      }
    }
    $('.modal-submit', root).disabled = app.submitting === view.id;
  }

  /** Notices sit under the top bar, or inside the open modal so that the backdrop never hides them. */
  function placeNotices(inModal) {
    const notices = $('#notices');
    const home = inModal ? $('#modal .modal-card') : document.body;
    if (notices.parentElement === home) return;
    if (inModal) home.insertBefore(notices, $('#modal .modal-body'));
    else $('.layout').before(notices);
  }

  /** Inputs Slack refuses before any request: required ones left empty, text under min_length. */
  function missingRequired(view, form) {
    const missing = {};
    list(view.blocks).forEach((block, index) => {
      if (!block || block.type !== 'input' || !block.element || !STATEFUL[block.element.type]) return;
      const blockId = block.block_id || `_block_${index}`;
      const state = form.get(blockId, block.element.action_id);
      const minLength = block.element.min_length;
      if (isEmptyState(state)) {
        if (!block.optional) missing[blockId] = 'Please fill out this field';
      } else if (minLength && typeof state.value === 'string' && state.value.length < minLength) {
        missing[blockId] = `Please enter at least ${minLength} characters`;
      }
    });
    return missing;
  }

  async function submitModal() {
    const view = topModal();
    if (!view || !view.submit || app.submitting) return;
    const form = formFor(view.id);
    const missing = missingRequired(view, form);
    if (Object.keys(missing).length) {
      app.clientErrors.set(view.id, missing);
      app.errorsSet += 1;
      renderModal();
      const first = $('#modal .block-error');
      if (first) first.scrollIntoView({block: 'center', behavior: 'smooth'});
      return;
    }
    app.clientErrors.delete(view.id);
    app.submitting = view.id;
    renderModal();
    const answer = await post('submit', {as: app.as, view_id: view.id, state: form.values});
    app.submitting = null;
    if (answer.ok && answer.errors && Object.keys(answer.errors).length) {
      app.clientErrors.set(view.id, answer.errors);
      app.errorsSet += 1;
    }
    if (app.state) renderModal();
  }

  /** Cancel and Back close the top view; × on a stack asks to close them all (Slack's "clear"). */
  function closeModal(all) {
    const view = topModal();
    if (!view) return;
    const body = {as: app.as, view_id: view.id};
    if (all === true && list(app.state.modals).length > 1) body.all = true;
    post('close', body);
  }

  function setupModal() {
    const root = $('#modal');
    $('.modal-submit', root).addEventListener('click', submitModal);
    $('.modal-close', root).addEventListener('click', () => closeModal(false));
    $('.modal-x', root).addEventListener('click', () => closeModal(true));
    $('.modal-back', root).addEventListener('click', () => closeModal(false));
    // A click that starts and ends on the dimmed backdrop closes; a text selection drag does not.
    let downOnBackdrop = false;
    root.addEventListener('mousedown', (event) => {
      downOnBackdrop = event.target === root;
    });
    root.addEventListener('click', (event) => {
      if (downOnBackdrop && event.target === root) closeModal(false);
    });
  }

  // ------------------------------------------------------------------ popup menus

  /** A small menu under (or above) an anchor; items: {label, hint?, data?, run}. */
  function openMenu(anchor, items, title) {
    closeMenu();
    const menu = h('div', {class: 'menu', role: 'menu'},
      title ? h('div', {class: 'menu-title'}, title) : null,
      items.map((item) => h('button', {
        type: 'button', class: 'menu-item', role: 'menuitem', dataset: item.data || null,
        onclick: () => {
          closeMenu();
          item.run();
        },
      }, h('span', null, item.label), item.hint ? h('span', {class: 'menu-hint'}, item.hint) : null)));
    document.body.append(menu);
    const rect = anchor.getBoundingClientRect();
    const below = rect.bottom + 4 + menu.offsetHeight < window.innerHeight;
    menu.style.top = `${below ? rect.bottom + 4 : Math.max(8, rect.top - menu.offsetHeight - 4)}px`;
    menu.style.left = `${Math.max(8, Math.min(rect.right - menu.offsetWidth, window.innerWidth - menu.offsetWidth - 8))}px`;
    app.menu = {menu, anchor};
    const first = menu.querySelector('.menu-item');
    if (first) first.focus();
  }

  function closeMenu() {
    if (!app.menu) return;
    app.menu.menu.remove();
    app.menu = null;
  }

  // ------------------------------------------------------------------ notices

  function notifyLocally(text) {
    if (app.localNotices.some((n) => n.text === text)) return; // one of each is enough
    app.localNotices.push({id: `local-${++localNoticeCounter}`, level: 'error', text});
    renderNotices();
  }

  function dismissNotice(id) {
    if (String(id).startsWith('local-')) {
      app.localNotices = app.localNotices.filter((n) => n.id !== id);
    } else {
      store.set('dismissed', [...store.get('dismissed', []), id].slice(-500));
    }
    renderNotices();
  }

  function renderNotices() {
    const dismissed = new Set(store.get('dismissed', []));
    const server = list(app.state && app.state.notices).filter((n) => !dismissed.has(n.id));
    const notices = [...server, ...app.localNotices];
    if (!changed('notices', notices)) return;
    $('#notices').replaceChildren(...notices.map((n) => {
      const level = ['error', 'warning', 'info'].includes(n.level) ? n.level : 'info';
      return h('div', {class: `notice notice-${level}`, role: level === 'error' ? 'alert' : 'status', dataset: {noticeId: n.id}},
        h('span', {class: 'notice-icon', 'aria-hidden': 'true'}, level === 'info' ? 'i' : '!'),
        h('span', {class: 'notice-text'}, String(n.text)),
        h('button', {type: 'button', class: 'notice-dismiss', 'aria-label': 'Dismiss', onclick: () => dismissNotice(n.id)}, '×'));
    }));
  }

  // ------------------------------------------------------------------ header: person switcher and clock

  const ROLE_GROUPS = [['rep', 'Reps'], ['manager', 'Managers'], ['admin', 'Admin']];

  function personLabel(p) {
    return [p.real_name || p.name, p.title, p.tz_label || p.tz].filter(Boolean).join(' · ');
  }

  function renderPeople() {
    const people = list(app.state.people);
    if (!changed('people', people, app.as)) return;
    const select = $('#person');
    const known = new Set(ROLE_GROUPS.map(([role]) => role));
    const groups = [...ROLE_GROUPS, ...[...new Set(people.map((p) => p.role))].filter((r) => !known.has(r)).map((r) => [r, r || 'Others'])];
    select.replaceChildren(...groups.map(([role, label]) => {
      const members = people.filter((p) => p.role === role);
      if (!members.length) return null;
      return h('optgroup', {label}, members.map((p) => h('option', {value: p.id}, personLabel(p))));
    }).filter(Boolean));
    select.value = app.as;
    const workspace = (app.state.workspace || {}).name || 'Sandbox';
    $('#workspace-name').textContent = workspace;
    document.title = `${workspace} · Deal Coach sandbox`;
  }

  function rememberPerson(id) {
    app.as = id;
    store.set('person', id);
    const url = new URL(location.href);
    url.searchParams.set('as', id);
    history.replaceState(null, '', url);
  }

  function switchPerson(id) {
    if (!id || id === app.as) return;
    rememberPerson(id);
    closeMenu();
    Object.assign(app, {version: 0, state: null, conv: null, thread: null, drawn: {}, submitting: null});
    app.forms.clear();
    app.clientErrors.clear();
    if (app.poll) app.poll.abort(); // the loop asks again at once, for the new person
  }

  function renderClock() {
    const jobs = list(app.state.jobs);
    const clock = app.state.clock || {};
    if (!changed('clock', jobs, clock)) return;
    const select = $('#job');
    const previous = select.value;
    select.replaceChildren(...jobs.map((job) => h('option', {value: job.name}, job.name)));
    if (jobs.some((job) => job.name === previous)) select.value = previous;
    describeJob();
    $('#clock-now').textContent = `${(clock.now || '?').replace('T', ' ')}${clock.zone ? ` (${clock.zone})` : ''}`;
    $('#as-of-suggestions').replaceChildren(...list(clock.suggested_as_of).map((s) => h('button', {
      type: 'button', class: 'button button-small as-of-suggestion', dataset: {value: s.value},
      onclick: () => {
        $('#as-of').value = s.value;
      },
    }, s.label)));
  }

  function describeJob() {
    const job = list(app.state && app.state.jobs).find((j) => j.name === $('#job').value);
    $('#job-description').textContent = job ? job.description || '' : '';
  }

  function setupClock() {
    const panel = $('#clock');
    const toggle = $('#clock-button');
    const show = (open) => {
      panel.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
    };
    toggle.addEventListener('click', () => show(panel.hidden));
    $('.clock-close', panel).addEventListener('click', () => show(false));
    $('#job').addEventListener('change', describeJob);
    $('#run-job').addEventListener('click', async () => {
      const run = $('#run-job');
      const output = $('#job-output');
      const job = $('#job').value;
      if (!job) return;
      run.disabled = true;
      output.textContent = `Running ${job}…`;
      const answer = await post('job', {job, as_of: $('#as-of').value || null, as: app.as});
      output.textContent = answer.ok ? answer.output || '(the job printed nothing)' : `Failed: ${answer.error || 'unknown error'}`;
      run.disabled = false;
    });
  }

  // ------------------------------------------------------------------ composers

  function autosize(textarea) {
    textarea.style.height = 'auto';
    textarea.style.height = `${Math.min(textarea.scrollHeight, 200)}px`;
  }

  /**
   * Enter sends, Shift+Enter breaks the line; a leading "/" offers the app's slash commands.
   * target() says where the text goes: {channel, thread_ts?}.
   */
  function setupComposer(textarea, target) {
    const popup = h('ul', {class: 'slash-popup', role: 'listbox', hidden: true});
    textarea.parentElement.append(popup);
    let matches = [];
    let active = 0;

    const hide = () => {
      popup.hidden = true;
      matches = [];
    };
    const complete = (command) => {
      textarea.value = `${command.command} `;
      hide();
      textarea.focus();
    };
    const refresh = () => {
      const typed = /^\/(\S*)$/.exec(textarea.value);
      if (!typed || !app.state) return hide();
      matches = list(app.state.commands).filter((c) => c.command.startsWith(`/${typed[1]}`));
      if (!matches.length) return hide();
      active = Math.min(active, matches.length - 1);
      popup.replaceChildren(...matches.map((c, i) => h('li', {
        class: `slash-item${i === active ? ' active' : ''}`, role: 'option', dataset: {command: c.command},
        onmousedown: (event) => {
          event.preventDefault();
          complete(c);
        },
      }, h('div', null, h('span', {class: 'slash-command'}, c.command), c.usage_hint ? h('span', {class: 'slash-hint'}, ` ${c.usage_hint}`) : null),
      c.description ? h('div', {class: 'slash-description'}, c.description) : null)));
      popup.hidden = false;
    };
    const send = async () => {
      const text = textarea.value;
      const where = target();
      if (!text.trim() || !where) return;
      textarea.value = '';
      autosize(textarea);
      hide();
      app.stickToBottom = true;
      const answer = await post('send', {as: app.as, text, ...where});
      if (!answer.ok && !textarea.value) {
        textarea.value = text; // give the words back so nothing typed is lost
        autosize(textarea);
      }
    };

    textarea.addEventListener('input', () => {
      active = 0;
      autosize(textarea);
      refresh();
    });
    textarea.addEventListener('blur', hide);
    textarea.addEventListener('keydown', (event) => {
      if (!popup.hidden && matches.length) {
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          active = (active + (event.key === 'ArrowDown' ? 1 : -1) + matches.length) % matches.length;
          refresh();
          return;
        }
        if (event.key === 'Tab' || (event.key === 'Enter' && !event.shiftKey && textarea.value.trim() !== matches[active].command)) {
          event.preventDefault();
          complete(matches[active]);
          return;
        }
        if (event.key === 'Escape') {
          event.stopPropagation();
          hide();
          return;
        }
      }
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
  }

  // ------------------------------------------------------------------ drawing and start-up

  function render() {
    if (!app.state) return;
    ensureConv();
    renderPeople();
    renderClock();
    renderPane();
    renderSidebar();
    renderThread();
    renderModal();
    renderNotices();
  }

  function onKeydown(event) {
    if (event.key !== 'Escape') return;
    if (app.menu) {
      closeMenu();
      return;
    }
    if (!$('#modal').hidden) closeModal(false);
    else if (!$('#clock').hidden) $('.clock-close').click();
  }

  function onPointerDown(event) {
    if (app.menu && !app.menu.menu.contains(event.target) && !app.menu.anchor.contains(event.target)) closeMenu();
  }

  function start() {
    const fromUrl = new URLSearchParams(location.search).get('as');
    app.as = fromUrl || store.get('person', null);
    $('#person').addEventListener('change', (event) => switchPerson(event.target.value));
    setupClock();
    setupModal();
    setupComposer($('#composer'), () => (app.conv && app.conv !== 'home' ? {channel: app.conv} : null));
    setupComposer($('#thread-composer'), () => (app.thread ? {channel: app.conv, thread_ts: app.thread} : null));
    $('.thread-close').addEventListener('click', closeThread);
    document.addEventListener('keydown', onKeydown);
    document.addEventListener('mousedown', onPointerDown);
    window.addEventListener('resize', closeMenu);
    document.addEventListener('scroll', closeMenu, true);
    pollForever();
  }

  start();
})();
