// The live 통합사례회의 room: agenda rail, consent-filtered case panel, SOAP co-editing, roles board,
// attendees with presence. Everything arrives over the /conference Socket.IO namespace; the server
// authorizes every event and sends each agency only what consent allows.
(function () {
  "use strict";
  var root = document.getElementById("conference-room");
  if (!root || typeof window.io !== "function") { return; }

  var conferenceId = Number(root.dataset.conferenceId);
  var personId = Number(root.dataset.personId);
  var L = document.getElementById("labels").dataset;
  var state = null;
  var caseData = { items: {} };
  var selectedItemId = null;
  var STAGES = ["present", "discuss", "agree", "wrap_up"];
  var sections = ["S", "O", "A", "P"];
  // Per section: the server version the textarea's text is based on, and a pending save timer.
  var soap = {};
  var storageKey = function (itemId, section) { return "hamkke:conf:" + conferenceId + ":" + itemId + ":" + section; };

  var socket = window.io("/conference", { auth: { conference_id: conferenceId } });

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  // A refusal is shown in a visible alert at the top of the room (role="alert" also reads it out),
  // in the page's language when the server gave an English wording.
  function refusalText(payload) {
    var english = document.documentElement.lang === "en" && payload.english;
    return english || payload.message || L.refused;
  }
  function showRefusal(text) {
    $("room-alert-text").textContent = text;
    $("room-alert").hidden = false;
  }
  function hideRefusal() { $("room-alert").hidden = true; }
  $("room-alert-close").addEventListener("click", hideRefusal);
  function send(event, data, done) {
    var payload = Object.assign({ conference_id: conferenceId }, data || {});
    // A new click clears the last refusal; background saves and resyncs leave it standing.
    if (event !== "soap_save" && event !== "sync") { hideRefusal(); }
    socket.emit(event, payload, function (ack) {
      if (ack && ack.ok === false) {
        showRefusal(refusalText(ack));
        // Someone changed the item first: fetch the fresh state so the next click is legal.
        if (ack.code === "invalid_transition") { resync(); }
      }
      if (done) { done(ack || {}); }
    });
  }
  function isChair() { return state && state.chair_id === personId; }
  function me() { return state ? state.attendees.find(function (a) { return a.person_id === personId; }) : null; }
  function openItem() { return state ? state.items.find(function (i) { return i.status === "open"; }) : null; }
  function currentItem() {
    if (!state) { return null; }
    var open = openItem();
    if (open) { return open; }
    return state.items.find(function (i) { return i.id === selectedItemId; }) || null;
  }

  // --- rendering -------------------------------------------------------------------------------

  function renderAgenda() {
    var list = $("agenda");
    list.textContent = "";
    state.items.forEach(function (item) {
      var li = el("li", {
        "class": "agenda__item agenda__item--" + item.status, "data-item-id": item.id, "data-stage": item.stage,
        "data-version": item.version,
      });
      var pick = el("button", { type: "button", "class": "agenda__pick" }, item.title);
      if (item.status === "open") { pick.setAttribute("aria-current", "true"); }
      pick.addEventListener("click", function () { selectedItemId = item.id; render(); });
      li.appendChild(pick);
      var label = item.status === "open" ? L.opened : item.status === "closed" ? L.closed : L.approved;
      if (item.outcome) { label += " · " + (item.outcome === "agreed" ? L.agreed : L.reconvene); }
      li.appendChild(el("span", { "class": "badge" }, label));
      if (!item.consent_ok) { li.appendChild(el("span", { "class": "badge badge--danger" }, L.noConsent)); }
      if (isChair() && state.status === "live" && item.status !== "open" && !openItem()) {
        var open = el("button", { type: "button", "class": "button button--small agenda__open" }, L.open);
        open.addEventListener("click", function () { send("open_item", { item_id: item.id, version: item.version }); });
        li.appendChild(open);
      }
      list.appendChild(li);
    });
  }

  function renderCase() {
    var panel = $("case-panel");
    var item = currentItem();
    panel.textContent = "";
    if (!item) { panel.appendChild(el("p", { "class": "muted" }, "—")); return; }
    var data = caseData.items[String(item.id)];
    panel.appendChild(el("h3", {}, item.title));
    if (!data || !data.visible) { panel.appendChild(el("p", { "class": "muted", id: "case-hidden" }, L.hidden)); return; }
    var info = data.panel || {};
    var dl = el("dl", { "class": "case-facts" });
    [[L.client, info.client_name || "—"], [L.stage, info.stage || "—"]].forEach(function (pair) {
      dl.appendChild(el("dt", {}, pair[0]));
      dl.appendChild(el("dd", { "class": pair[0] === L.client ? "case-client" : "" }, pair[1]));
    });
    panel.appendChild(dl);
    (data.lead || []).forEach(function (decision) {
      var name = agencyName(decision.chosen_agency_id);
      panel.appendChild(el("p", { "class": "lead-result" }, L.leadLabel + ": " + name + " (" + decision.method_label + ")"));
    });
  }

  function agencyName(agencyId) {
    var option = document.querySelector('#role-agency option[value="' + agencyId + '"]');
    return option ? option.textContent : String(agencyId);
  }

  function renderSoap() {
    var item = currentItem();
    var box = $("soap");
    var data = item ? caseData.items[String(item.id)] : null;
    box.hidden = !(data && data.visible && (item.status === "open" || item.status === "closed"));
    if (box.hidden) { return; }
    var mine = me();
    var editable = !!(mine && mine.may_edit_minutes) && !state.finalized;
    sections.forEach(function (section) {
      var area = $("soap-" + section);
      var key = storageKey(item.id, section);
      var server = (data.soap || {})[section] || { text: "", version: 0 };
      var entry = soap[key] || (soap[key] = { base: server.version, timer: null, itemId: item.id });
      area.readOnly = !editable;
      area.dataset.itemId = item.id;
      var pending = window.localStorage.getItem(key);
      // Events handled in parallel can arrive out of order: never step back to an older version.
      if (pending === null && document.activeElement !== area && server.version >= entry.base) {
        area.value = server.text;
        entry.base = server.version;
      }
    });
    var lines = $("soap-P").value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
    var select = $("action-line");
    var chosen = select.value;
    select.textContent = "";
    lines.forEach(function (line) { select.appendChild(el("option", { value: line }, line)); });
    if (lines.indexOf(chosen) >= 0) { select.value = chosen; }
    $("action-form").hidden = !editable;
    var actions = $("actions");
    actions.textContent = "";
    (data.actions || []).forEach(function (action) {
      var entry = el("li", { "class": "action" }, action.text + " — " + agencyName(action.owner_agency_id) + " · " + action.due_on + " ");
      if (action.referral_id) {
        // The referral is named by a link to it, never by its row number.
        entry.appendChild(el("a", { href: root.dataset.referralDetailUrl.replace(/0$/, String(action.referral_id)), "class": "badge" }, L.referred));
      } else if ((action.status === "open" || action.status === "in_progress") && action.has_case && root.dataset.referralUrl) {
        entry.appendChild(el("a", { href: root.dataset.referralUrl.replace("/0/", "/" + action.id + "/"), "class": "button button--small button--secondary" }, L.makeReferral));
      }
      actions.appendChild(entry);
    });
  }

  function renderRoles() {
    var list = $("roles");
    list.textContent = "";
    state.roles.forEach(function (role) {
      var li = el("li", { "class": "role role--" + role.role });
      li.appendChild(el("strong", {}, role.agency_name + " (" + (role.role === "lead" ? L.lead : L.partner) + ")"));
      if (role.responsibilities) { li.appendChild(el("p", {}, role.responsibilities)); }
      // Each item's fate on the case's plan (검토 대기 / 계획에 반영 / 반영하지 않음), matched by service in order.
      var fates = (role.isp_fates || []).slice();
      role.isp_items.forEach(function (isp) {
        var at = fates.findIndex(function (fate) { return fate.service === isp.service; });
        var fate = at >= 0 ? fates.splice(at, 1)[0] : null;
        var text = [isp.service, isp.quantity, isp.duration, isp.intensity, isp.due_on || ""].join(" ").trim();
        li.appendChild(el("p", { "class": "muted" }, fate ? text + " · " + fate.label : text));
      });
      list.appendChild(li);
    });
  }

  function renderAttendees() {
    var list = $("attendees");
    list.textContent = "";
    state.attendees.forEach(function (a) {
      var li = el("li", { "class": "attendee" + (a.present ? " attendee--present" : "") });
      li.appendChild(el("span", {}, a.name + " · " + a.agency_name));
      var tags = [a.present ? L.present : L.absent];
      if (a.person_id === state.chair_id) { tags.push(L.chair); }
      if (a.person_id === state.recorder_id) { tags.push(L.recorder); }
      if (a.is_guest) { tags.push(L.guest); }
      if (a.hand_raised_at) { tags.push("✋ " + L.hand); }
      li.appendChild(el("span", { "class": "muted" }, " " + tags.join(" · ")));
      list.appendChild(li);
    });
    var mine = me();
    $("raise-hand").setAttribute("aria-pressed", mine && mine.hand_raised_at ? "true" : "false");
  }

  // Only the legal moves are offered: one stage back, one stage forward, and "합의로 닫기" once the
  // item reached 합의 (the server refuses anything else); before that a hint says what to do.
  function stageName(stage) { return L["stage" + stage.charAt(0).toUpperCase() + stage.slice(1)] || stage; }
  function renderStageSteps(item) {
    var index = STAGES.indexOf(item.stage);
    var back = STAGES[index - 1];
    var next = STAGES[index + 1];
    $("stage-current").textContent = stageName(item.stage);
    $("stage-back").hidden = !back;
    $("stage-next").hidden = !next;
    if (back) { $("stage-back").textContent = L.stageBack.replace("{stage}", stageName(back)); $("stage-back").dataset.stage = back; }
    if (next) { $("stage-next").textContent = L.stageNext.replace("{stage}", stageName(next)); $("stage-next").dataset.stage = next; }
    var mayAgree = item.stage === "agree" || item.stage === "wrap_up";
    $("close-agreed").hidden = !mayAgree;
    $("stage-hint").textContent = mayAgree ? "" : L.agreeHint;
    $("stage-hint").hidden = mayAgree;
  }

  function renderChair() {
    var chair = isChair();
    var open = openItem();
    $("chair-tools").hidden = !chair;
    $("start-meeting").hidden = state.status !== "scheduled";
    $("finalize-meeting").hidden = state.status !== "live";
    $("item-controls").hidden = !(chair && open);
    if (chair && open) { renderStageSteps(open); }
    var caseOpen = !!(chair && open && open.case_id);
    $("lead-form").hidden = !caseOpen;
    $("role-form").hidden = !caseOpen;
    $("conference-status").textContent = state.status === "live" ? L.live : state.status === "scheduled" ? L.scheduled : L.closedConf;
  }

  function render() {
    if (!state) { return; }
    renderAgenda();
    renderCase();
    renderSoap();
    renderRoles();
    renderAttendees();
    renderChair();
  }

  function tickTimer() {
    var item = openItem();
    var node = $("timer");
    if (!item || !item.timer_started_at) { node.textContent = ""; return; }
    var left = item.time_box_minutes * 60 - Math.floor((Date.now() - Date.parse(item.timer_started_at)) / 1000);
    var abs = Math.abs(left);
    var text = Math.floor(abs / 60) + ":" + String(abs % 60).padStart(2, "0");
    node.textContent = left >= 0 ? L.left + " " + text : L.over + " " + text;
    node.classList.toggle("room__timer--over", left < 0);
  }
  window.setInterval(tickTimer, 1000);

  // --- SOAP autosave that survives a dropped connection ----------------------------------------

  function saveSection(area) {
    var itemId = Number(area.dataset.itemId);
    var section = area.dataset.section;
    var key = storageKey(itemId, section);
    var entry = soap[key];
    var stored = JSON.parse(window.localStorage.getItem(key) || "null");
    if (!stored || !entry) { return; }
    if (!socket.connected) { $("soap-status").textContent = L.disconnected; return; }
    if (entry.inflight === stored.text) { return; }
    entry.inflight = stored.text;
    window.clearTimeout(entry.timer);
    $("soap-status").textContent = L.saving;
    send("soap_save", { item_id: itemId, section: section, text: stored.text, base_version: stored.base }, function (ack) {
      entry.inflight = null;
      if (!ack.ok) { return; }
      var now = JSON.parse(window.localStorage.getItem(key) || "null");
      if (now && now.text === stored.text) {
        // Nothing typed since: take the server's (possibly merged) text and its version.
        window.localStorage.removeItem(key);
        entry.base = ack.version;
        if (area.value === stored.text) { area.value = ack.text; }
      }
      $("soap-status").textContent = ack.merged ? L.merged : L.saved;
    });
  }

  sections.forEach(function (section) {
    var area = $("soap-" + section);
    area.addEventListener("input", function () {
      var key = storageKey(Number(area.dataset.itemId), section);
      var entry = soap[key];
      if (!entry) { return; }
      var stored = JSON.parse(window.localStorage.getItem(key) || "null");
      // The base stays the version the first unsent keystroke started from, so a resend merges.
      window.localStorage.setItem(key, JSON.stringify({ text: area.value, base: stored ? stored.base : entry.base }));
      window.clearTimeout(entry.timer);
      entry.timer = window.setTimeout(function () { saveSection(area); }, 600);
    });
    area.addEventListener("blur", function () { saveSection(area); });
  });

  function resendPending() {
    sections.forEach(function (section) {
      var area = $("soap-" + section);
      if (area.dataset.itemId && window.localStorage.getItem(storageKey(Number(area.dataset.itemId), section)) !== null) {
        saveSection(area);
      }
    });
  }

  // --- socket events ---------------------------------------------------------------------------

  // On (re)connect the server sends this socket the whole state and its agency's case panels; after
  // that only deltas arrive. Text typed while offline is resent once the fresh state is here.
  // (The state may be handled before the "connect" event: the client delivers buffered events first.)
  var resendOnState = true;
  socket.on("connect", function () {
    $("connection").textContent = L.connected;
    $("connection").className = "badge badge--ok";
  });
  socket.on("disconnect", function () {
    $("connection").textContent = L.disconnected;
    $("connection").className = "badge badge--warn";
    resendOnState = true;
  });
  // A join the server refused because the database was busy is tried again; other refusals stand.
  // A refusal carries its reason code (error.message) and the server's words (error.data.message);
  // the page's own label for the code comes first, so the reason reads in the page's language.
  function connectRefusalText(error) {
    var code = error && error.message ? String(error.message) : "";
    var key = "refused" + code.split("_").map(function (part) {
      return part.charAt(0).toUpperCase() + part.slice(1);
    }).join("");
    if (L[key]) { return L[key]; }
    if (error && error.data && error.data.message) { return String(error.data.message); }
    return L.disconnected;
  }
  socket.on("connect_error", function (error) {
    var text = connectRefusalText(error);
    $("connection").textContent = text;
    $("connection").className = "badge badge--warn";
    if (error && error.message === "unavailable") {
      showRefusal(text !== L.disconnected ? text : L.joinBusy);
      if (!socket.active) { window.setTimeout(function () { socket.connect(); }, 3000); }
    } else if (error && error.type !== "TransportError" && error.message === "session_ended") {
      window.location.reload();
    } else if (error && error.type !== "TransportError") {
      // The server refused this seat (not checked in, not signed in, another conference, …): say why.
      showRefusal(text !== L.disconnected ? text : L.joinRefused);
    }
  });
  function resync() {
    send("sync", {}, function (ack) {
      if (ack.ok) { takeState(ack.state); takeCaseData(ack.case_data); render(); }
    });
  }

  // Every payload carries the meeting's revision, and events handled in parallel can arrive out of
  // order: each part (an item, an attendee, the roles board, …) keeps the revision it was last set at,
  // and an older payload never overwrites a newer part.
  var revs = {};
  var earlyDeltas = [];
  function newer(key, revision) {
    if (revs[key] !== undefined && revision < revs[key]) { return false; }
    revs[key] = revision;
    return true;
  }
  function keepNewer(list, idKey, prefix, revision, current) {
    return list.map(function (entry) {
      var mine = current.find(function (c) { return c[idKey] === entry[idKey]; });
      return mine && revs[prefix + entry[idKey]] > revision ? mine : entry;
    });
  }
  function takeState(payload) {
    if (state && payload.revision < state.baseRevision) { return false; }
    if (state) {
      payload.items = keepNewer(payload.items, "id", "item:", payload.revision, state.items);
      payload.attendees = keepNewer(payload.attendees, "person_id", "attendee:", payload.revision, state.attendees);
      if (revs.roles > payload.revision) { payload.roles = state.roles; }
      if (revs.conference > payload.revision) {
        ["title", "status", "chair_id", "recorder_id", "finalized"].forEach(function (key) { payload[key] = state[key]; });
      }
    }
    payload.baseRevision = payload.revision;
    state = payload;
    var waiting = earlyDeltas;
    earlyDeltas = [];
    waiting.forEach(applyDelta);
    return true;
  }
  function upsert(list, entry, idKey) {
    var index = list.findIndex(function (c) { return c[idKey] === entry[idKey]; });
    if (index >= 0) { list[index] = entry; } else { list.push(entry); }
  }
  function applyDelta(delta) {
    if (!state) { earlyDeltas.push(delta); return; }
    if (delta.revision < state.baseRevision) { return; }
    if (delta.conference && newer("conference", delta.revision)) { Object.assign(state, delta.conference); }
    (delta.items || []).forEach(function (item) {
      if (newer("item:" + item.id, delta.revision)) { upsert(state.items, item, "id"); }
    });
    (delta.attendees || []).forEach(function (a) {
      if (newer("attendee:" + a.person_id, delta.revision)) { upsert(state.attendees, a, "person_id"); }
    });
    if (delta.roles && newer("roles", delta.revision)) { state.roles = delta.roles; }
  }
  function takeCaseData(payload) {
    if (caseData.revision !== undefined && payload.revision < caseData.revision) { return false; }
    // Keep minutes, actions and decisions that a later item_data already brought.
    Object.keys(payload.items).forEach(function (id) {
      var fresh = payload.items[id];
      var old = caseData.items[id];
      if (!fresh.visible || !old || !old.visible) { return; }
      Object.keys(old.soap || {}).forEach(function (section) {
        var mine = old.soap[section];
        fresh.soap = fresh.soap || {};
        if (!fresh.soap[section] || fresh.soap[section].version < mine.version) { fresh.soap[section] = mine; }
      });
      ["actions", "lead"].forEach(function (part) {
        if (revs[part + ":" + id] > payload.revision) { fresh[part] = old[part]; }
      });
    });
    caseData = payload;
    return true;
  }
  function applyItemData(payload) {
    var entry = caseData.items[String(payload.item_id)];
    // Only an item whose panel this agency may see; a panel that just closed stays closed.
    if (!entry || !entry.visible) { return false; }
    entry.soap = entry.soap || {};
    Object.keys(payload.soap || {}).forEach(function (section) {
      var known = entry.soap[section];
      if (!known || payload.soap[section].version >= known.version) { entry.soap[section] = payload.soap[section]; }
    });
    ["actions", "lead"].forEach(function (part) {
      if (payload[part] && newer(part + ":" + payload.item_id, payload.revision)) { entry[part] = payload[part]; }
    });
    return true;
  }
  socket.on("state", function (payload) {
    if (takeState(payload)) {
      render();
      if (resendOnState) { resendOnState = false; resendPending(); }
    }
  });
  socket.on("delta", function (payload) { applyDelta(payload); render(); });
  socket.on("case_data", function (payload) { if (takeCaseData(payload)) { render(); } });
  socket.on("item_data", function (payload) { if (applyItemData(payload)) { render(); } });
  socket.on("error", function (payload) {
    // The event's ack already showed a refusal of this socket's own action; a pushed error is shown here.
    if (payload.event === "case_data") { showRefusal(refusalText(payload)); }
    // The server could not send this agency's panels: ask for them again a little later.
    if (payload.event === "case_data") { window.setTimeout(resync, 3000); }
  });
  socket.on("session_ended", function () { window.location.reload(); });

  // --- controls --------------------------------------------------------------------------------

  $("start-meeting").addEventListener("click", function () { send("start"); });
  $("finalize-meeting").addEventListener("click", function () { send("finalize"); });
  $("raise-hand").addEventListener("click", function () {
    var mine = me();
    send("raise_hand", { raised: !(mine && mine.hand_raised_at) });
  });
  ["stage-back", "stage-next"].forEach(function (id) {
    $(id).addEventListener("click", function () {
      var item = openItem();
      if (item) { send("advance_stage", { item_id: item.id, stage: $(id).dataset.stage, version: item.version }); }
    });
  });
  $("restart-timer").addEventListener("click", function () {
    var item = openItem();
    if (item) { send("restart_timer", { item_id: item.id }); }
  });
  function closeWith(outcome) {
    var item = openItem();
    if (!item) { return; }
    selectedItemId = item.id;
    send("close_item", { item_id: item.id, outcome: outcome, version: item.version });
  }
  $("close-agreed").addEventListener("click", function () { closeWith("agreed"); });
  $("close-reconvene").addEventListener("click", function () { closeWith("reconvene"); });

  $("lead-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var item = openItem();
    if (!item) { return; }
    var candidates = Array.prototype.map.call(
      document.querySelectorAll('#lead-form input[name="candidate"]:checked'), function (box) { return Number(box.value); });
    send("decide_lead", {
      item_id: item.id,
      method: $("lead-method").value,
      candidate_agency_ids: candidates,
      chosen_agency_id: Number($("lead-chosen").value),
      effective_on: $("lead-effective").value || null,
      objections: $("lead-objections").value,
      rationale: $("lead-rationale").value,
    });
  });

  $("role-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var item = openItem();
    if (!item) { return; }
    var isp = $("isp-service").value.trim() ? [{
      service: $("isp-service").value, quantity: $("isp-quantity").value, duration: $("isp-duration").value,
      intensity: $("isp-intensity").value, due_on: $("isp-due").value || null,
    }] : [];
    send("assign_role", {
      item_id: item.id, agency_id: Number($("role-agency").value), role: $("role-role").value,
      responsibilities: $("role-resp").value, isp_items: isp,
    });
  });

  $("action-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var item = currentItem();
    if (!item) { return; }
    send("create_action", {
      item_id: item.id, line: $("action-line").value, owner_agency_id: Number($("action-owner").value),
      due_on: $("action-due").value, referral_id: $("action-referral").value || null,
    });
  });
})();
