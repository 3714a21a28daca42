// The coaching chat: sends the member's message to the API and shows the coach's reply as it streams in
// (Server-Sent Events over fetch). Without this script the form posts normally and the page reloads.
(function () {
  "use strict";

  var form = document.getElementById("chat-form");
  if (!form || !window.fetch || !window.TextDecoder) {
    return;
  }
  var chat = document.getElementById("chat");
  var input = document.getElementById("chat-input");
  var send = document.getElementById("chat-send");
  var errorBox = document.getElementById("chat-error");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var url = "/api/v1/dialogues/" + form.dataset.dialogueId + "/messages?stream=1";

  function bubble(role, text) {
    var item = document.createElement("li");
    item.className = "chat__message chat__message--" + role;
    var who = document.createElement("span");
    who.className = "chat__who";
    who.textContent = role === "coach" ? "コーチ" : "あなた";
    var body = document.createElement("span");
    body.className = "chat__text";
    body.textContent = text;
    item.appendChild(who);
    item.appendChild(body);
    chat.appendChild(item);
    item.scrollIntoView({ block: "end" });
    return item;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function handle(name, data, reply) {
    var text = reply.querySelector(".chat__text");
    if (name === "delta") {
      text.textContent += data.text;
    } else if (name === "reset") {
      text.textContent = "";
    } else if (name === "done") {
      text.textContent = data.reply.content;
      reply.classList.remove("chat__message--pending");
      document.getElementById("turns-left").textContent = data.dialogue.turns_left;
      document.getElementById("dialogue-stage").textContent = data.dialogue.stage_label;
    }
  }

  // Each event is "event: NAME\ndata: JSON" and ends with a blank line.
  function readEvents(response, reply) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        buffer += decoder.decode(chunk.value || new Uint8Array(), { stream: !chunk.done });
        var parts = buffer.split("\n\n");
        buffer = parts.pop();
        parts.forEach(function (part) {
          var name = "message";
          var data = "";
          part.split("\n").forEach(function (line) {
            if (line.indexOf("event: ") === 0) { name = line.slice(7); }
            if (line.indexOf("data: ") === 0) { data += line.slice(6); }
          });
          if (data) { handle(name, JSON.parse(data), reply); }
        });
        return chunk.done ? null : pump();
      });
    }
    return pump();
  }

  function failure(response) {
    return response.json().then(function (body) {
      var message = (body && body.error && body.error.message) || "送信できませんでした。";
      throw new Error(message);
    }, function () {
      throw new Error("送信できませんでした。ページを再読み込みしてください。");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var content = input.value.trim();
    if (!content) {
      showError("メッセージを入力してください。");
      input.focus();
      return;
    }
    errorBox.hidden = true;
    send.disabled = true;
    var mine = bubble("member", content);
    var reply = bubble("coach", "");
    reply.classList.add("chat__message--pending");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token, "Accept": "text/event-stream" },
      body: JSON.stringify({ content: content })
    }).then(function (response) {
      if (response.status === 401) {
        window.location.href = "/login";
        return null;
      }
      if (!response.ok) {
        return failure(response);
      }
      input.value = "";
      return readEvents(response, reply);
    }).catch(function (error) {
      mine.remove();
      reply.remove();
      showError(error.message);
    }).then(function () {
      send.disabled = false;
      input.focus();
    });
  });
})();
