// The dashboard's only script: refresh the live parts, send control-plane calls to /_sim/, image fallbacks.
"use strict";

const POLL_MS = 1000;

function refresh(box) {
  // Replace the box's content with its fragment (server-rendered, escaped) whenever it changed; a tab
  // nobody looks at asks nothing (a million-product shop's counts are a query worth sparing).
  if (document.hidden) {
    setTimeout(() => refresh(box), POLL_MS);
    return;
  }
  fetch(box.dataset.liveSrc, {cache: "no-store"}).then((answer) => {
    if (!answer.ok) throw new Error(answer.status);
    return answer.text();
  }).then((html) => {
    if (html !== box.dataset.shown) {
      box.dataset.shown = html;
      box.innerHTML = html;
    }
    const done = box.dataset.liveUntil && box.querySelector("[data-finished='yes']");
    if (!done) setTimeout(() => refresh(box), POLL_MS);
  }).catch(() => setTimeout(() => refresh(box), POLL_MS * 5));
}

function say(text) {
  document.getElementById("notice").textContent = text;
}

async function call(method, path, body) {
  const answer = await fetch(path, {method, headers: {"Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify(body)});
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok || (data.code !== undefined && data.code !== 0)) {
    throw new Error(data.message || `HTTP ${answer.status}`);
  }
  return data;
}

const ACTIONS = {
  review: (form) => {
    const mode = form.elements.mode.value;
    const body = {mode};
    if (mode === "delayed") body.delay_s = Number(form.elements.delay_s.value || 0);
    return call("PUT", "/_sim/review", body).then(() => `Review mode is now ${mode}.`);
  },
  reset: () => {
    if (!window.confirm("Reset the simulator? Every product, job and WebDAV file goes.")) return null;
    return call("POST", "/_sim/reset").then(() => "The simulator was reset.");
  },
  approve: (form) => call("POST", `/_sim/products/${form.dataset.product}/approve`)
    .then(() => "Approved: the product is ACTIVATE."),
  reject: (form) => call("POST", `/_sim/products/${form.dataset.product}/reject`,
    {reasons: [{position: "product", reasons: [form.elements.reason.value]}]})
    .then(() => "Rejected: the product is FAILED."),
};

document.addEventListener("submit", (event) => {
  const form = event.target;
  const action = ACTIONS[form.dataset.action];
  if (!action) return;
  event.preventDefault();
  const done = action(form);
  if (!done) return;
  done.then((text) => {
    say(text);
    if (form.dataset.product || form.dataset.action === "reset") setTimeout(() => location.reload(), 600);
  }).catch((error) => say(`Failed: ${error.message}`));
});

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live-src]").forEach((box) => setTimeout(() => refresh(box), POLL_MS));
  document.querySelectorAll("img[data-fallback]").forEach((img) => {
    // An image the browser cannot reach: its URL (already in the caption) is what stays.
    img.addEventListener("error", () => img.remove());
  });
});
