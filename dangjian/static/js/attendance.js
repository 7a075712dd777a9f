/* Meetings: the attendance page ("全部出席", the reason shown for 请假), the meeting form (group
   and speaker shown for the kinds that need them) and the print button. A file: the content
   security policy forbids inline scripts. */
(function () {
  "use strict";

  function reasonBox(memberId) {
    return document.querySelector('[data-reason-box="' + memberId + '"]');
  }

  function showReason(radio) {
    var box = reasonBox(radio.getAttribute("data-status-for"));
    if (!box) return;
    var excused = radio.value === "excused" && radio.checked;
    box.classList.toggle("d-none", !excused);
    if (excused) {
      var input = box.querySelector("input");
      if (input && !input.value) input.focus();
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("input[type=radio][data-status-for]")) showReason(target);
    if (target && target.id === "id_kind") toggleMeetingFields();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-all-present]") : null;
    if (button) {
      var form = button.closest("form");
      form.querySelectorAll('input[type=radio][data-status-for][value="present"]').forEach(function (radio) {
        radio.checked = true;
        showReason(radio);
      });
      return;
    }
    var print = event.target.closest ? event.target.closest("[data-print]") : null;
    if (print) window.print();
  });

  // The meeting form: the group only for group meetings, the speaker only for lectures.
  function toggleMeetingFields() {
    var kind = document.getElementById("id_kind");
    if (!kind || !document.getElementById("meeting-form")) return;
    var group = document.getElementById("field-group");
    var speaker = document.getElementById("field-speaker");
    if (group) group.classList.toggle("d-none", kind.value !== "group_meeting");
    if (speaker) speaker.classList.toggle("d-none", kind.value !== "party_lecture" && !document.getElementById("id_speaker").value);
  }

  document.addEventListener("DOMContentLoaded", toggleMeetingFields);
})();
