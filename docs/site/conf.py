# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx configuration of the collection's documentation site (docs/build-site.sh).

Made from antsibull-docs sphinx-init, with one change: no intersphinx. Its inventories come
from docs.ansible.com and docs.python.org, and the site must build offline (the test suite
builds it). The few links the generated pages make into Ansible's own documentation are
resolved from the table below instead; any other unresolved reference stays a warning, and
the build treats warnings as errors."""

from __future__ import annotations

from docutils import nodes

project = 'strata.containers'
copyright = 'strata.containers developers'  # pylint: disable=redefined-builtin

title = 'strata.containers documentation'
html_short_title = 'strata.containers'

extensions = ['sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
display_version = False

default_role = 'any'
nitpicky = True

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'

# (domain, role, target) -> (page under ANSIBLE_DOCS, link text): what the pages antsibull-docs
# writes for our plugins point at in Ansible's documentation.
ANSIBLE_TARGETS = {
    ('std', 'ref', 'ansible_configuration_settings'):
        ('reference_appendices/config.html#ansible-configuration-settings',
         'Ansible Configuration Settings'),
    ('std', 'ref', 'common_return_values'):
        ('reference_appendices/common_return_values.html', 'Return Values'),
    ('std', 'ref', 'ansible_collections.ansible.builtin.command_module'):
        ('collections/ansible/builtin/command_module.html', 'ansible.builtin.command'),
    ('std', 'envvar', 'ANSIBLE_PIPELINING'):
        ('reference_appendices/config.html#envvar-ANSIBLE_PIPELINING', 'ANSIBLE_PIPELINING'),
}


def link_to_ansible_docs(app, env, node, contnode):  # pylint: disable=unused-argument
    """missing-reference handler: a link into docs.ansible.com for a known target, else None
    (Sphinx then warns as usual)."""
    key = (node.get('refdomain'), node.get('reftype'), node.get('reftarget'))
    if key not in ANSIBLE_TARGETS:
        return None
    page, text = ANSIBLE_TARGETS[key]
    if not node.get('refexplicit'):
        contnode = contnode.deepcopy()
        contnode.clear()
        contnode += nodes.Text(text)
    link = nodes.reference('', '', internal=False, refuri=ANSIBLE_DOCS + page)
    link += contnode
    return link


def setup(app):
    app.connect('missing-reference', link_to_ansible_docs)
