/*! replayd snippet: records this page with rrweb and sends it to a replayd Collector.
 *
 *   <script src="https://collector.example.com/snippet.js" data-key="pk_..." async></script>
 *
 * Options (data-* attributes on the script tag, or replayd.init({...})):
 *   key         campaign public key (required)
 *   collector   Collector base URL (default: where this script came from)
 *   rrweb       URL of rrweb's record build, loaded when window.rrwebRecord is missing
 *   flushMs     send at least this often (default 5000)
 *   maxEvents   send when this many events are buffered (default 100)
 *   maxBytes    send when the buffered JSON reaches this size (default 512 KiB);
 *               batches are also split below the server's limit (default 4 MiB)
 *   console     "true": also record console messages with rrweb's console plugin, when the page
 *               loaded it (getRecordConsolePlugin on window.rrwebConsoleRecord, window.rrweb or
 *               window); each message at most consoleMaxBytes (default 8 KiB: longer ones are cut)
 */
(function () {
  "use strict";
  if (window.replayd && window.replayd.started) return;
  var VERSION = "1.2.0";
  var CONSOLE_PLUGIN = "rrweb/console@1";
  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var state = {
    started: false, stopped: false, config: null, buffer: [], bufferBytes: 0, dropped: 0,
    queue: [], sending: false, inflight: null, retryAt: 0, timer: null, stopRecording: null, attempt: 0
  };

  function storage(name, value) {
    try {
      if (value === undefined) return window.sessionStorage.getItem("replayd." + name);
      window.sessionStorage.setItem("replayd." + name, String(value));
    } catch (e) { return null; }
  }

  function randomID() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    var id = "";
    for (var i = 0; i < bytes.length; i++) id += alphabet[bytes[i] % 62];
    return id;
  }

  // One session per tab, kept across reloads and navigations within the tab (sessionStorage).
  function session() {
    var id = storage("session");
    if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) { id = randomID(); storage("session", id); storage("seq", 0); }
    return id;
  }
  function newSession() { storage("session", randomID()); storage("seq", 0); storage("refused", ""); }

  // A duplicated tab, or a window opened by script, starts with a copy of its opener's
  // sessionStorage: the same session id and seq counter, so both tabs would send different batches
  // under the same (session, seq). Each page load announces its session on a BroadcastChannel; a
  // live tab that holds the session answers, and the newcomer starts a session of its own. Batches
  // are only cut once the answer had time to come (the buffer waits; a page hide sends at once).
  var pageID = randomID();
  var claimed = false;
  function claimSession(then) {
    var channel = null;
    try { channel = new BroadcastChannel("replayd"); } catch (e) {}
    if (!channel) { claimed = true; return then(); }
    channel.onmessage = function (message) {
      var m = message.data || {};
      if (m.page === pageID || m.session !== storage("session")) return;
      if (m.type === "hello") channel.postMessage({ type: "mine", session: m.session, page: pageID });
      else if (m.type === "mine" && !claimed) { newSession(); console.info("replayd: this tab is a copy of another; new session"); }
    };
    channel.postMessage({ type: "hello", session: session(), page: pageID });
    setTimeout(function () { claimed = true; then(); }, 200);
  }
  function nextSeq() {
    session(); // a new session resets the counter: establish it before drawing a number
    var seq = parseInt(storage("seq") || "0", 10);
    if (!(seq >= 0)) seq = 0;
    storage("seq", seq + 1);
    return seq;
  }

  function init(options) {
    if (state.started) return;
    var base = (script && script.src) ? new URL(script.src, location.href).origin : location.origin;
    var c = {
      key: options.key, collector: (options.collector || base).replace(/\/$/, ""), rrweb: options.rrweb,
      flushMs: +options.flushMs || 5000, maxEvents: +options.maxEvents || 100,
      maxBytes: +options.maxBytes || 512 * 1024, maxBatchBytes: +options.maxBatchBytes || 4 * 1024 * 1024,
      maxBufferBytes: +options.maxBufferBytes || 16 * 1024 * 1024, maxAttempts: +options.maxAttempts || 8,
      console: options.console === true || options.console === "true", consoleMaxBytes: +options.consoleMaxBytes || 8192
    };
    if (!c.key) { console.warn("replayd: no campaign key (data-key) given; not recording"); return; }
    if (storage("refused") === "1") return; // the Collector told this session to stop
    state.config = c; state.started = true;
    claimSession(function () { if (state.buffer.length) flush(false); });
    ping();
    withRecorder(function (record) {
      var plugins = consolePlugins(c);
      state.stopRecording = record(plugins ? { emit: push, plugins: plugins } : { emit: push });
      state.timer = setInterval(function () { flush(false); }, c.flushMs);
    });
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(true); });
    window.addEventListener("pagehide", function () { flush(true); });
  }

  function withRecorder(start) {
    var existing = window.rrwebRecord || (window.rrweb && window.rrweb.record);
    if (existing) return start(existing);
    if (!state.config.rrweb) { console.warn("replayd: rrweb is not loaded and no data-rrweb URL was given"); return; }
    var tag = document.createElement("script");
    tag.src = state.config.rrweb; tag.async = true;
    tag.onload = function () {
      var record = window.rrwebRecord || (window.rrweb && window.rrweb.record);
      if (record) start(record); else console.warn("replayd: " + state.config.rrweb + " did not define rrwebRecord");
    };
    document.head.appendChild(tag);
  }

  // rrweb's console plugin, when the page provides it and data-console asks for it; its own limits
  // keep each argument short, and push() cuts any message still over consoleMaxBytes.
  function consolePlugins(c) {
    if (!c.console) return null;
    var holder = [window.rrwebConsoleRecord, window.rrweb, window].filter(function (h) { return h && h.getRecordConsolePlugin; })[0];
    if (!holder) { console.info("replayd: data-console is set but rrweb's console plugin is not loaded; not recording the console"); return null; }
    return [holder.getRecordConsolePlugin({
      level: ["error", "warn", "info", "log"], lengthThreshold: 1000,
      stringifyOptions: { stringLengthLimit: 1000, numOfKeysLimit: 50, depthOfLimit: 2 }
    })];
  }

  function capConsole(event, size) {
    if (event.type !== 6 || !event.data || event.data.plugin !== CONSOLE_PLUGIN || size <= state.config.consoleMaxBytes) return event;
    var payload = event.data.payload || {};
    return { type: event.type, timestamp: event.timestamp, data: { plugin: CONSOLE_PLUGIN, payload: {
      level: payload.level, trace: [], payload: [JSON.stringify("[replayd: a console message of " + size + " bytes was cut]")]
    } } };
  }

  function push(event) {
    if (state.stopped) return;
    var size = JSON.stringify(event).length;
    if (event.type === 6) { event = capConsole(event, size); size = JSON.stringify(event).length; }
    // Bounded memory: past the cap, new events are dropped (and counted) until a send frees room.
    if (state.bufferBytes + size > state.config.maxBufferBytes) { state.dropped++; return; }
    state.buffer.push({ event: event, size: size });
    state.bufferBytes += size;
    if (state.buffer.length >= state.config.maxEvents || state.bufferBytes >= state.config.maxBytes) flush(false);
  }

  // Cuts the buffer into batches no larger than maxBatchBytes, each with its own seq.
  function cut() {
    var batches = [], current = [], bytes = 0;
    for (var i = 0; i < state.buffer.length; i++) {
      var item = state.buffer[i];
      if (current.length && bytes + item.size > state.config.maxBatchBytes) { batches.push(current); current = []; bytes = 0; }
      current.push(item.event); bytes += item.size;
    }
    if (current.length) batches.push(current);
    state.buffer = []; state.bufferBytes = 0;
    // Each batch keeps the session it was numbered in: a site that clears sessionStorage starts a
    // new session (and counter) for later batches without renumbering queued ones.
    return batches.map(function (events) { return { session: session(), seq: nextSeq(), events: events }; });
  }

  function body(batch) {
    return JSON.stringify({
      key: state.config.key, session: batch.session, seq: batch.seq, events: batch.events,
      page: { url: location.href, referrer: document.referrer || null, width: window.innerWidth, height: window.innerHeight }
    });
  }

  function flush(leaving) {
    if (!state.started || state.stopped) return;
    if (!claimed && !leaving) return;  // the duplicate-tab check is still waiting for an answer
    if (state.buffer.length) state.queue = state.queue.concat(cut());
    if (leaving) return beaconAll();
    send();
  }

  // On page hide the page may be gone before a fetch finishes: hand what fits to sendBeacon
  // (text/plain, no preflight) and the rest to keepalive fetches; the browser finishes them.
  // The batch whose fetch is already on the wire stays queued and is not sent twice: a keepalive
  // fetch outlives the page, and if the page stays (a hidden tab) its answer removes the batch or
  // its failure retries it.
  function beaconAll() {
    var rest = [];
    while (state.queue.length) {
      var batch = state.queue.shift();
      if (batch === state.inflight) { rest.push(batch); continue; }
      var json = body(batch);
      var sent = json.length < 60000 && navigator.sendBeacon &&
        navigator.sendBeacon(url("/v1/batch"), new Blob([json], { type: "text/plain" }));
      if (!sent) rest.push(batch);
    }
    state.queue = rest;
    if (rest.length) send(true);
  }

  // Takes a batch off the queue by identity: a page hide may have reordered or emptied the queue
  // while the batch was on the wire, so "the first one" is not necessarily this batch any more.
  function remove(batch) {
    var i = state.queue.indexOf(batch);
    if (i >= 0) state.queue.splice(i, 1);
  }

  function url(path) { return state.config.collector + path + "?key=" + encodeURIComponent(state.config.key); }

  function gzip(text) {
    if (typeof CompressionStream === "undefined") return Promise.resolve(null);
    var stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
    return new Response(stream).arrayBuffer();
  }

  function send(keepalive) {
    if (state.sending || state.stopped || !state.queue.length) return;
    // A retry is waiting (backoff or Retry-After): the periodic flush must not jump it.
    if (!keepalive && Date.now() < state.retryAt) return;
    state.sending = true;
    var batch = state.queue[0], json = body(batch);
    gzip(json).then(function (compressed) {
      // A page hide while compressing handed this batch to sendBeacon: do not post it again.
      if (state.queue.indexOf(batch) < 0) return null;
      state.inflight = batch;
      var headers = { "Content-Type": "application/json" };
      if (compressed) headers["Content-Encoding"] = "gzip";
      var payload = compressed || json;
      var size = compressed ? compressed.byteLength : json.length;
      return fetch(url("/v1/batch"), {
        method: "POST", headers: headers, body: payload, mode: "cors", credentials: "omit",
        keepalive: !!keepalive || size < 60000
      });
    }).then(function (response) {
      if (!response) return null;
      return response.text().then(function (text) { return { status: response.status, response: response, text: text }; });
    }).then(function (r) {
      state.sending = false; state.inflight = null;
      if (!r) return send(keepalive);
      if (r.status === 202) { remove(batch); state.attempt = 0; state.retryAt = 0; return send(keepalive); }
      var code = "";
      try { code = JSON.parse(r.text).error.code; } catch (e) {}
      if (code === "session_refused" || r.status === 401 || r.status === 403) return stop(code || String(r.status));
      if (r.status === 413) return split(batch);
      if (r.status === 429 || r.status === 503 || r.status >= 500) {
        return retry(batch, parseInt(r.response.headers.get("Retry-After") || "", 10));
      }
      // Any other 4xx will fail again as is: drop this batch, keep the session going.
      console.warn("replayd: batch " + batch.seq + " rejected: " + r.status + " " + r.text);
      remove(batch); send(keepalive);
    }).catch(function () {
      // Chromium rejects a keepalive fetch's promise as its document unloads, although the request
      // goes on. Decide in a later task: an unloaded document runs none, so the batch is neither
      // beaconed (it is still in flight) nor posted again; a page that lives on retries it.
      setTimeout(function () { state.sending = false; state.inflight = null; retry(batch, NaN); }, 0);
    });
  }

  // Never resend a 413 as is: halve the batch, or drop a lone event. The halves take new seqs, so
  // batches already queued behind it sort before them; the snippet keeps batches well under the
  // Collector's limit (maxBatchBytes), so this only happens when the server's limit is lower.
  function split(batch) {
    var at = state.queue.indexOf(batch);
    if (at < 0) return send();
    state.queue.splice(at, 1);
    if (batch.events.length < 2) { state.dropped++; return send(); }
    var half = Math.ceil(batch.events.length / 2);
    var parts = [batch.events.slice(0, half), batch.events.slice(half)].map(function (events) { return { session: session(), seq: nextSeq(), events: events }; });
    state.queue.splice.apply(state.queue, [at, 0].concat(parts));
    send();
  }

  function retry(batch, retryAfterSeconds) {
    state.attempt++;
    if (state.attempt > state.config.maxAttempts) { state.attempt = 0; remove(batch); state.dropped++; }
    var backoff = Math.min(30000, 1000 * Math.pow(2, state.attempt - 1));
    var delay = retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : backoff / 2 + Math.random() * backoff / 2;
    state.retryAt = Date.now() + delay;
    setTimeout(function () { state.retryAt = 0; send(); }, delay);
  }

  function stop(reason) {
    state.stopped = true; state.queue = []; state.buffer = [];
    if (state.timer) clearInterval(state.timer);
    if (state.stopRecording) try { state.stopRecording(); } catch (e) {}
    if (reason === "session_refused") storage("refused", "1");
    console.info("replayd: recording stopped (" + reason + ")");
  }

  // Once per page load: tells the install tracker this page carries the snippet.
  function ping() {
    var json = JSON.stringify({ key: state.config.key, url: location.href, version: VERSION });
    try {
      if (!(navigator.sendBeacon && navigator.sendBeacon(url("/v1/install"), new Blob([json], { type: "text/plain" })))) {
        fetch(url("/v1/install"), { method: "POST", body: json, keepalive: true, mode: "cors", credentials: "omit",
                                    headers: { "Content-Type": "text/plain" } }).catch(function () {});
      }
    } catch (e) {}
  }

  window.replayd = {
    init: init, version: VERSION, flush: function () { flush(false); },
    get started() { return state.started; }, get session() { return session(); },
    get stats() { return { queued: state.queue.length, buffered: state.buffer.length, dropped: state.dropped, stopped: state.stopped }; }
  };
  if (data.key) init({ key: data.key, collector: data.collector, rrweb: data.rrweb, flushMs: data.flushMs,
                       maxEvents: data.maxEvents, maxBytes: data.maxBytes, maxBatchBytes: data.maxBatchBytes,
                       console: data.console, consoleMaxBytes: data.consoleMaxBytes });
})();
