// Progressive enhancement only: every form works without this file.
// Live SMS segment counter: GSM-7 (160 / 153 per part) or UCS-2 (70 / 67 per part).
(function () {
  "use strict";
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXT = "^{}\\[~]|€\f";
  function segments(text) {
    var units = 0, gsm = true, i, c;
    for (i = 0; i < text.length; i++) {
      c = text.charAt(i);
      if (GSM.indexOf(c) >= 0) { units += 1; } else if (EXT.indexOf(c) >= 0) { units += 2; } else { gsm = false; break; }
    }
    if (gsm) { return { n: units <= 160 ? 1 : Math.ceil(units / 153), enc: "GSM-7", units: units }; }
    units = Array.from(text).reduce(function (s, ch) { return s + (ch.codePointAt(0) > 0xFFFF ? 2 : 1); }, 0);
    return { n: units <= 70 ? 1 : Math.ceil(units / 67), enc: "UCS-2", units: units };
  }
  function wire(area) {
    var out = document.getElementById(area.getAttribute("data-segments"));
    if (!out) { return; }
    var update = function () {
      var s = segments(area.value);
      out.textContent = area.value.length + " characters · " + s.n + " SMS segment" + (s.n === 1 ? "" : "s") + " (" + s.enc + ")";
    };
    area.addEventListener("input", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-segments]"), wire);
  });
})();
