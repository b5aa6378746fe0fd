/* One line on any page: <script src="https://HOST/chat/embed.js" defer></script>
   adds a floating 问民心通 button that opens the chat page in a panel (an iframe). ES5. */
(function () {
  'use strict';
  var me = document.currentScript;
  if (!me) {
    var all = document.getElementsByTagName('script');
    for (var i = all.length - 1; i >= 0 && !me; i--) { if (/\/embed\.js(\?|$)/.test(all[i].src)) { me = all[i]; } }
  }
  if (!me) { return; }
  var page = me.src.replace(/\/embed\.js(\?.*)?$/, '');
  var panel = null;

  function style(node, rules) { for (var k in rules) { if (rules.hasOwnProperty(k)) { node.style[k] = rules[k]; } } }

  var open = document.createElement('button');
  open.type = 'button';
  open.textContent = '问民心通';
  open.setAttribute('aria-expanded', 'false');
  style(open, { position: 'fixed', right: '16px', bottom: '16px', zIndex: '2147483000', minHeight: '52px',
    padding: '0 20px', fontSize: '18px', border: '2px solid #fff', borderRadius: '26px', background: '#0b4a8b',
    color: '#fff', boxShadow: '0 2px 8px rgba(0,0,0,.3)', cursor: 'pointer' });

  function show() {
    if (!panel) {
      panel = document.createElement('div');
      panel.setAttribute('role', 'dialog');
      panel.setAttribute('aria-label', '民心通问答');
      style(panel, { position: 'fixed', zIndex: '2147483001', background: '#fff', boxShadow: '0 4px 16px rgba(0,0,0,.35)',
        right: '16px', bottom: '80px', width: '400px', height: '620px', maxHeight: '85%' });
      var close = document.createElement('button');
      close.type = 'button';
      close.textContent = '关闭';
      style(close, { position: 'absolute', right: '8px', top: '6px', minHeight: '44px', minWidth: '64px',
        fontSize: '17px', border: '2px solid #0b4a8b', borderRadius: '8px', background: '#fff', color: '#0b4a8b' });
      close.onclick = hide;
      var frame = document.createElement('iframe');
      frame.src = page;
      frame.title = '民心通问答';
      style(frame, { border: '0', width: '100%', height: '100%', paddingTop: '56px', boxSizing: 'border-box' });
      panel.appendChild(close);
      panel.appendChild(frame);
      document.body.appendChild(panel);
    }
    panel.style.display = 'block';
    open.setAttribute('aria-expanded', 'true');
    panel.firstChild.focus();
  }
  function hide() {
    panel.style.display = 'none';
    open.setAttribute('aria-expanded', 'false');
    open.focus();
  }
  open.onclick = function () {
    // On a phone the page itself is better than a panel over the site, and it keeps its own
    // cookie there (browsers that refuse cookies inside other sites' frames lose nothing).
    if (window.innerWidth < 600) { window.location.href = page; return; }
    if (panel && panel.style.display !== 'none') { hide(); } else { show(); }
  };
  function add() { document.body.appendChild(open); }
  if (document.body) { add(); } else { document.addEventListener('DOMContentLoaded', add); }
}());
