// dcc-alert-gateway operator console: keeps the obligation countdowns current (every 30 s).
// Loaded from the gateway (CSP script-src 'self'); the pages work without it.
'use strict'
;(function () {
  function duration(ms) {
    var s = Math.floor(Math.abs(ms) / 1000)
    if (s < 60) return s + ' s'
    var m = Math.floor(s / 60)
    if (m < 60) return m + ' min'
    var h = Math.floor(m / 60)
    if (h < 48) return h + ' h' + (m % 60 ? ' ' + (m % 60) + ' min' : '')
    return Math.floor(h / 24) + ' d' + (h % 24 ? ' ' + (h % 24) + ' h' : '')
  }
  function tick() {
    var now = Date.now()
    var els = document.querySelectorAll('time.countdown[data-due]')
    for (var i = 0; i < els.length; i++) {
      var due = Number(els[i].getAttribute('data-due'))
      if (!isFinite(due)) continue
      var late = due < now
      els[i].textContent = late ? 'overdue by ' + duration(now - due) : 'due in ' + duration(due - now)
      els[i].classList.toggle('overdue', late)
    }
  }
  setInterval(tick, 30000)
})()
