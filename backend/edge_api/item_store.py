"""Tenant-scoped item queries; every function filters by tenant so other tenants' rows stay invisible."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from edge_api.models import Item
from edge_api.schemas import ItemCreate


def list_items(session: Session, tenant_id: str, limit: int) -> Sequence[Item]:
    """The tenant's newest items first (ties broken by id, newest first)."""
    statement = (
        select(Item)
        .where(Item.tenant_id == tenant_id)
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(limit)
    )
    return session.scalars(statement).all()


def create_item(session: Session, tenant_id: str, data: ItemCreate) -> Item:
    item = Item(tenant_id=tenant_id, name=data.name)
    session.add(item)
    session.commit()
    return item


def get_item(session: Session, tenant_id: str, item_id: int) -> Item | None:
    return session.scalar(select(Item).where(Item.id == item_id, Item.tenant_id == tenant_id))


def delete_item(session: Session, tenant_id: str, item_id: int) -> bool:
    """False when the tenant has no such item (whether or not another tenant does)."""
    item = get_item(session, tenant_id, item_id)
    if item is None:
        return False
    session.delete(item)
    session.commit()
    return True
